import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PROJECT_ROOT } from './function-bundle.ts';
import { OwnedFunction, type OwnedFunctionOptions } from './owned-function.ts';

export { ESM_REQUIRE_BANNER, FUNCTION_NODE_OPTIONS, PROJECT_ROOT } from './function-bundle.ts';

/** Default handler entry of the enrichment function. */
export const DEFAULT_ENRICH_ENTRY = join(PROJECT_ROOT, 'functions', 'page-content-change-enrich', 'handler.ts');

/**
 * Properties of {@link EnrichFunction}: an owned function's options with `entry` defaulting to
 * {@link DEFAULT_ENRICH_ENTRY}; memory and timeout are the environment's (`memorySize`, `timeoutSeconds` of the
 * resolved configuration, whose defaults are stated there).
 */
export interface EnrichFunctionProps extends OwnedFunctionOptions {
  readonly memorySize: number;
  readonly timeout: Duration;
}

/**
 * The enrichment Lambda function: consumes `mediawiki.page_change` batches, fetches revision content
 * from the MediaWiki Action API, produces enriched and error events with kafkajs.
 *
 * Its execution role starts empty: the stack declares every permission through
 * {@link OwnedFunction.addToRolePolicy} (least privilege).
 */
export class EnrichFunction extends OwnedFunction {
  constructor(scope: Construct, id: string, props: EnrichFunctionProps) {
    super(scope, id, {
      ...props,
      entry: props.entry ?? DEFAULT_ENRICH_ENTRY,
      description: 'Enriches mediawiki.page_change events with revision content from the MediaWiki Action API',
      roleDescription:
        'Execution role of the page-content-change enrichment function (explicit, least-privilege policies)',
    });
  }
}
