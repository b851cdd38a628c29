/**
 * Shared helpers of the infrastructure tests: offline synth of the pipeline stack for an example
 * environment (feature flags from cdk.json, explicit account/region, no lookups, no bundling unless asked).
 */
import assert from 'node:assert/strict';
import { execFileSync, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type PipelineConfig, resolveConfig, type ResolvedPipelineConfig } from '../../infra/config/config.ts';
import { mskGroupArn, mskTopicArn } from '../../infra/config/msk-arns.ts';
import { configFromContext, listEnvironments, loadEnvironmentFile } from '../../infra/config/environment-files.ts';
import { PipelineStack, type PipelineStackProps } from '../../infra/stack/pipeline-stack.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
};

export const MSK_CLUSTER_ARN =
  'arn:aws:kafka:us-east-1:111122223333:cluster/wiki-events/abcd1234-abcd-cafe-abab-9876543210ab-4';
export const MSK_RESOURCE = 'wiki-events/abcd1234-abcd-cafe-abab-9876543210ab-4';
export const SCRAM_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:wiki-events/kafka-scram-AbCdEf';
export const ROOT_CA_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:111122223333:secret:wiki-events/kafka-root-ca-GhIjKl';

/** An `ingest` key (docs/ingest.md) for synth tests that turn the EventStreams ingest on. */
export const INGEST = {
  url: 'https://stream.wikimedia.org/v2/stream/mediawiki.page_change.v1',
  userAgent: 'my-mirror (ops@example.org)',
};
/** Stack props that give the ingest function inline code, so a synth with `ingest` bundles nothing. */
export const inlineIngest = {
  ingestFunctionCode: lambda.Code.fromInline('export const handler = async () => ({});'),
} satisfies Partial<PipelineStackProps>;

/** The example environments (`infra/environments/example-*.json`), each linted by cfn-lint and checked here. */
export const EXAMPLE_ENVIRONMENTS = listEnvironments().filter((env) => env.startsWith('example-'));

export interface Synth {
  readonly app: App;
  readonly stack: PipelineStack;
  readonly config: ResolvedPipelineConfig;
  readonly template: Template;
}

/**
 * Synthesizes the stack of `env` with `-c key=value` style overrides (strings are coerced as on the CLI).
 * Lambda code is inline unless `stackProps` says otherwise, so no bundling happens.
 */
export function synth(
  env: string,
  overrides: Record<string, unknown> = {},
  stackProps: Partial<PipelineStackProps> = {},
): Synth {
  const app = new App({ context: { ...cdkJson.context, env, ...overrides } });
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const stack = new PipelineStack(app, config.stackName, {
    config,
    enrichFunctionCode: lambda.Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });'),
    topicProvisionerCode: lambda.Code.fromInline('export const handler = async () => ({});'),
    redriveFunctionCode: lambda.Code.fromInline('export const handler = async () => ({});'),
    ...stackProps,
  });
  return { app, stack, config, template: Template.fromStack(stack) };
}

/** Synthesizes an environment file with keys replaced or removed (`undefined`), like a hand-written variant. */
export function synthVariant(env: string, changes: Partial<Record<keyof PipelineConfig, unknown>>) {
  const config = resolveConfig(env, { ...loadEnvironmentFile(env), ...changes } as Partial<PipelineConfig>);
  const app = new App();
  const stack = new PipelineStack(app, config.stackName, {
    config,
    enrichFunctionCode: lambda.Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });'),
    topicProvisionerCode: lambda.Code.fromInline('export const handler = async () => ({});'),
  });
  return { stack, config, template: Template.fromStack(stack) };
}

/**
 * Runs the CDK app (infra/app.ts) as the cdk CLI does, with `context` as its `-c key=value` context (CDK_CONTEXT_JSON)
 * and a fresh output directory; returns its exit status and output.
 */
export function runCdkApp(context: Record<string, unknown>): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-')) },
  });
}

/** Unacknowledged cdk-nag AwsSolutions findings (cdk-nag v3 reports through `validateScope`). */
export function nagFindings(s: Synth): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(s.stack);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} (${v.severity}) at ${r.constructPath}: ${v.description}`),
  );
}

/** AwsSolutions errors and warnings left as annotations (cdk-nag v2 style), expected to be none. */
export function nagAnnotations(s: Synth): unknown[] {
  const annotations = Annotations.fromStack(s.stack);
  return [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ];
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** A statement's actions, sorted. */
export const actionsOf = (s: Statement) => asArray(s.Action).slice().sort();
/** The ARN of a topic of the example MSK cluster. */
export const topicArn = (t: string) => mskTopicArn(MSK_CLUSTER_ARN, t);

/** Every identity-policy statement of the template, with the logical id of its policy/role. */
export function identityStatements(template: Template): Array<{ owner: string; statement: Statement }> {
  const out: Array<{ owner: string; statement: Statement }> = [];
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      for (const statement of r.Properties.PolicyDocument.Statement) out.push({ owner: id, statement });
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of r.Properties.Policies ?? [])
        for (const statement of p.PolicyDocument.Statement) out.push({ owner: id, statement });
    }
  }
  return out;
}

/** Statements of the policy attached to the role whose logical id starts with `rolePrefix`. */
export function roleStatements(template: Template, rolePrefix: string): Statement[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  const out: Statement[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = asArray(r.Properties.Roles) as Array<{ Ref?: string }>;
    if (roles.some((ref) => ref.Ref?.startsWith(rolePrefix))) out.push(...r.Properties.PolicyDocument.Statement);
  }
  return out;
}

export function bySid(statements: Statement[], sid: string): Statement {
  const found = statements.filter((s) => s.Sid === sid);
  if (found.length !== 1)
    throw new Error(
      `expected one statement ${sid}, found ${found.length}: ${JSON.stringify(statements.map((s) => s.Sid))}`,
    );
  return found[0]!;
}

/** The only event source mapping of the template. */
export function eventSourceMapping(template: Template): Record<string, any> {
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
  if (mappings.length !== 1) throw new Error(`expected one event source mapping, found ${mappings.length}`);
  return mappings[0]!.Properties;
}

/** The enrichment function resource. */
export function enrichFunction(template: Template): { id: string; resource: Record<string, any> } {
  const fns = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
    id.startsWith('EnrichFunction'),
  );
  if (fns.length !== 1) throw new Error(`expected one enrichment function, found ${fns.length}`);
  return { id: fns[0]![0], resource: fns[0]![1] };
}

/** The Lambda functions of the template whose logical id starts with `prefix` (`RedriveFunction`, `EventStreamsIngest`). */
export function functionsNamed(template: Template, prefix: string): Array<Record<string, any>> {
  return Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([id]) => id.startsWith(prefix))
    .map(([, r]) => r);
}

/**
 * The MSK IAM statements of a function that writes the input topic (the redrive, the ingest;
 * infra/stack/permissions.ts `inputTopicWriterStatements`), on the example MSK cluster: `ReadData` on exactly
 * `reads`, `WriteData` on the input topic only, no other topic in any statement, the idempotent producer's
 * cluster action, `DescribeGroup` and `AlterGroup` on the groups under `groups.prefix` (statement `groups.sid`),
 * and nothing on `*` but the VPC ENIs. ("Semantics of IAM authorization policy actions and resources", Amazon MSK,
 * https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html.)
 */
export function assertInputTopicWriterMskIam(
  statements: Statement[],
  expected: { input: string; reads: string[]; groups: { sid: string; prefix: string } },
): void {
  const resourcesOf = (action: string) =>
    statements.filter((st) => actionsOf(st).includes(action)).flatMap((st) => asArray(st.Resource) as string[]);
  assert.deepEqual(resourcesOf('kafka-cluster:ReadData').sort(), expected.reads.map(topicArn).sort(), 'reads');
  assert.deepEqual(resourcesOf('kafka-cluster:WriteData'), [topicArn(expected.input)], 'writes the input topic only');
  const topics = new Set(
    statements.flatMap((st) => asArray(st.Resource)).filter((r) => typeof r === 'string' && r.includes(':topic/')),
  );
  assert.deepEqual([...topics].sort(), [...new Set([expected.input, ...expected.reads])].map(topicArn).sort());
  assert.deepEqual(actionsOf(bySid(statements, 'MskIdempotentProducer')), ['kafka-cluster:WriteDataIdempotently']);
  const groups = bySid(statements, expected.groups.sid);
  assert.deepEqual(actionsOf(groups), ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup']);
  assert.deepEqual(asArray(groups.Resource), [mskGroupArn(MSK_CLUSTER_ARN, `${expected.groups.prefix}*`)]);
  assert.deepEqual(
    statements.filter((st) => asArray(st.Resource).includes('*')).map((st) => st.Sid),
    ['VpcNetworkInterfaces'],
  );
}

/** With SASL/SCRAM the function reads its secret and has no MSK IAM data-plane (`kafka-cluster:`) action. */
export function assertScramSecretOnly(statements: Statement[]): void {
  assert.ok(
    statements.some(
      (st) =>
        actionsOf(st).includes('secretsmanager:GetSecretValue') && asArray(st.Resource).includes(SCRAM_SECRET_ARN),
    ),
    'reads the SCRAM secret',
  );
  assert.ok(!statements.some((st) => actionsOf(st).some((a) => a.startsWith('kafka-cluster:'))));
}

/**
 * Bundles the stack's function `prefix` for real (esbuild, as `cdk synth` does), imports the bundle in a fresh Node
 * process with `env`, invokes its handler with `event`, and returns what it printed: `ran`, or the error's
 * `name: message`.
 */
export function invokeBundledHandler(
  s: Synth,
  prefix: string,
  event: unknown,
  env: Record<string, string> = {},
): string {
  const assembly = s.app.synth();
  const [fn] = functionsNamed(s.template, prefix);
  const s3Key: string = fn!.Properties.Code.S3Key;
  const index = join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs');
  assert.ok(existsSync(index), `${index} exists`);
  const script = `
    const { handler } = await import(${JSON.stringify(index)});
    try { await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 1000 }); console.log('ran'); }
    catch (err) { console.log(err.name + ': ' + err.message); }`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  }).trim();
}
