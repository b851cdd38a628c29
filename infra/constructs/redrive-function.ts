import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PROJECT_ROOT } from './function-bundle.ts';
import { OwnedFunction, type OwnedFunctionOptions } from './owned-function.ts';

/** Default handler entry of the redrive function. */
export const DEFAULT_REDRIVE_ENTRY = join(PROJECT_ROOT, 'functions', 'redrive', 'handler.ts');

/**
 * Properties of {@link RedriveFunction}: an owned function's options, with these defaults: `entry`
 * {@link DEFAULT_REDRIVE_ENTRY}, `memorySize` 512, `timeout` `Duration.minutes(15)` (a run stops 15 s before it
 * with its progress committed; invoking again resumes). No reserved concurrency unless given: a fresh account may
 * have none to spare (AWS, "Lambda quotas"), and two concurrent runs share their consumer group, so no record is
 * redriven twice.
 *
 * `environment`: the Kafka connection (`KAFKA_*`), `KAFKA_TOPIC_PREFIX`, `INPUT_TOPIC`, `ERROR_TOPIC`,
 * `ON_FAILURE_TOPIC` and `REDRIVE_GROUP_PREFIX` (see `redriveTopicsFrom` in lib/redrive/request.ts).
 */
export interface RedriveFunctionProps extends OwnedFunctionOptions {}

/**
 * The redrive Lambda function: the operator invokes it with the options of `npm run redrive` as JSON
 * (`{"from": "error", "dryRun": true}`); it puts error events or on-failure records back on the input
 * topic (functions/redrive/handler.ts, sharing lib/redrive/ with the CLI). No trigger: it runs only
 * when invoked. Its execution role starts empty, like the enrichment function's.
 */
export class RedriveFunction extends OwnedFunction {
  constructor(scope: Construct, id: string, props: RedriveFunctionProps) {
    super(scope, id, {
      ...props,
      entry: props.entry ?? DEFAULT_REDRIVE_ENTRY,
      description:
        'Redrive: puts error events or on-failure records back on the page_change input topic (invoked by an operator)',
      roleDescription: 'Execution role of the redrive function (explicit, least-privilege policies)',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(15),
    });
  }
}
