import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from './config.ts';
import { PipelineStack } from './pipeline-stack.ts';
import { Code } from 'aws-cdk-lib/aws-lambda';
for (const env of ['example-msk-iam','example-self-managed-scram']) {
  const app = new App({ context: { env } });
  const config = configFromContext((k) => app.node.tryGetContext(k));
  const stack = new PipelineStack(app, config.stackName, { config, enrichFunctionCode: Code.fromInline('x'), topicProvisionerCode: Code.fromInline('x') });
  const r = new AwsSolutionsChecks(app).validateScope(stack);
  console.log(env, JSON.stringify(r.violations.map(v => [v.ruleName, v.violatingResources.map(x=>x.constructPath)]), null, 1));
}
