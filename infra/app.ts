/**
 * CDK app: `npx cdk deploy -c env=<environment>` with `infra/environments/<environment>.json`,
 * any key overridable with `-c <key>=<value>`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ResolvedPipelineConfig } from './config/config.ts';
import { ConfigError } from './config/config-error.ts';
import { configFromContext } from './config/environment-files.ts';
import { kafkaAclCommands } from './stack/kafka-acls.ts';
import { PipelineStack } from './stack/pipeline-stack.ts';
import { pipelineTopics } from './stack/topics.ts';

const app = new App();
let config: ResolvedPipelineConfig;
try {
  config = configFromContext((key) => app.node.tryGetContext(key));
} catch (err) {
  // A configuration error is the user's to fix: the message names every bad key; a stack trace would only hide it.
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`Configuration error: ${err.message}\n`);
  process.exit(2);
}

const stack = new PipelineStack(app, config.stackName, { config });
// What the cluster owner must grant when Kafka ACLs decide (SASL/SCRAM, mTLS), with this deploy's names. On stderr:
// stdout carries the template when `cdk synth` prints it.
process.stderr.write(
  kafkaAclCommands({ config, topics: pipelineTopics(config), consumerGroupId: stack.eventSource.consumerGroupId }),
);

// cdk-nag v3 runs as a policy validation plugin: any unacknowledged AwsSolutions finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
