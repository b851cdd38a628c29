/**
 * CDK app: `npx cdk deploy -c env=<environment>` with `infra/environments/<environment>.json`,
 * any key overridable with `-c <key>=<value>`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from './environment-files.ts';
import { PipelineStack } from './pipeline-stack.ts';

const app = new App();
const config = configFromContext((key) => app.node.tryGetContext(key));

new PipelineStack(app, config.stackName, { config });

// cdk-nag v3 runs as a policy validation plugin: any unacknowledged AwsSolutions finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
