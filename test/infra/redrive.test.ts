/**
 * The optional redrive function (`redriveFunction: true`): off by default; when on, an invocable
 * function with no trigger, the cluster connection of the enrichment function, least-privilege
 * Kafka permissions (read the error and on-failure topics as its own groups, write the input topic),
 * the stack's VPC and security group, cdk-nag clean; and its real esbuild bundle loads.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { mskGroupArn } from '../../infra/config/msk-arns.ts';
import { DEFAULT_REDRIVE_ENTRY } from '../../infra/constructs/redrive-function.ts';
import {
  actionsOf,
  asArray,
  assertInputTopicWriterMskIam,
  assertScramSecretOnly,
  enrichFunction,
  eventSourceMapping,
  functionsNamed,
  invokeBundledHandler,
  MSK_CLUSTER_ARN,
  nagAnnotations,
  nagFindings,
  roleStatements,
  SCRAM_SECRET_ARN,
  synth,
  topicArn,
} from './helpers.ts';

const inlineRedrive = { redriveFunctionCode: lambda.Code.fromInline('export const handler = async () => ({});') };
const redriveFunctions = (template: ReturnType<typeof synth>['template']) =>
  functionsNamed(template, 'RedriveFunction');

describe('redrive function', () => {
  test('is not deployed unless asked for', () => {
    assert.equal(redriveFunctions(synth('example-self-managed-scram').template).length, 0);
    assert.equal(redriveFunctions(synth('example-msk-iam', { redriveFunction: false }).template).length, 0);
  });

  test("MSK + IAM: invocable function, the enrich function's connection, its own topics and groups, in the VPC", () => {
    const s = synth('example-msk-iam', { redriveFunction: true }, inlineRedrive);
    const [fn] = redriveFunctions(s.template);
    assert.ok(fn, 'the redrive function exists');
    const p = fn.Properties;
    assert.equal(p.Runtime, 'nodejs24.x');
    assert.deepEqual(p.Architectures, ['arm64']);
    assert.equal(p.Timeout, 900);
    assert.equal(p.ReservedConcurrentExecutions, undefined, 'a fresh account may have no concurrency to reserve');
    const env = p.Environment.Variables;
    assert.equal(env.KAFKA_MSK_CLUSTER_ARN, MSK_CLUSTER_ARN);
    assert.equal(env.KAFKA_AUTH, 'iam');
    assert.equal(env.KAFKA_TOPIC_PREFIX, 'eqiad.');
    assert.equal(env.INPUT_TOPIC, 'mediawiki.page_change.v1');
    assert.equal(env.ERROR_TOPIC, 'mw_page_content_change_enrich.error');
    assert.equal(env.ON_FAILURE_TOPIC, 'mw_page_content_change_enrich.on_failure');
    assert.equal(env.REDRIVE_GROUP_PREFIX, 'mw-page-content-change-enrich-eqiad.redrive.');
    assert.equal(env.MW_API_URL_TEMPLATE, undefined, 'the redrive never calls MediaWiki');
    // In the cluster's VPC with the stack's function security group.
    assert.deepEqual(p.VpcConfig.SubnetIds, [
      'subnet-0aaaaaaaaaaaaaaa1',
      'subnet-0bbbbbbbbbbbbbbb2',
      'subnet-0ccccccccccccccc3',
    ]);
    assert.match(JSON.stringify(p.VpcConfig.SecurityGroupIds), /FunctionSecurityGroup/);
    // Invoked by an operator only: the one event source mapping is still the enrichment function's.
    // (through the alias of its generation, mapping-replacement.test.ts).
    assert.match(JSON.stringify(eventSourceMapping(s.template).FunctionName), /PageChangeSourceAlias/);
    const aliases = Object.values(s.template.findResources('AWS::Lambda::Alias'));
    assert.deepEqual(
      aliases.map((a) => JSON.stringify(a.Properties.FunctionName)),
      [JSON.stringify({ Ref: enrichFunction(s.template).id })],
    );

    const statements = roleStatements(s.template, 'RedriveFunctionExecutionRole');
    assertInputTopicWriterMskIam(statements, {
      input: 'eqiad.mediawiki.page_change.v1',
      reads: ['eqiad.mw_page_content_change_enrich.error', 'eqiad.mw_page_content_change_enrich.on_failure'],
      groups: { sid: 'MskRedriveConsumerGroups', prefix: 'mw-page-content-change-enrich-eqiad.redrive.' },
    });
    // Not the enrichment function's group.
    assert.ok(
      !JSON.stringify(statements).includes(`${mskGroupArn(MSK_CLUSTER_ARN, 'mw-page-content-change-enrich-eqiad')}"`),
    );
    // The enrichment function's role gained nothing.
    const enrichReaders = roleStatements(s.template, 'EnrichFunctionExecutionRole')
      .filter((st) => actionsOf(st).includes('kafka-cluster:ReadData'))
      .flatMap((st) => asArray(st.Resource));
    assert.deepEqual(enrichReaders, [topicArn('eqiad.mediawiki.page_change.v1')]);

    assert.deepEqual(nagFindings(s), []);
    assert.deepEqual(nagAnnotations(s), []);
  });

  test('self-managed + SCRAM: brokers and secret from the stack, no IAM data-plane actions', () => {
    const s = synth('example-self-managed-scram', { redriveFunction: true }, inlineRedrive);
    const [fn] = redriveFunctions(s.template);
    const env = fn!.Properties.Environment.Variables;
    assert.ok(env.KAFKA_BROKERS.length > 0);
    assert.equal(env.KAFKA_AUTH, 'scram');
    assert.equal(env.KAFKA_SASL_SECRET_ARN, SCRAM_SECRET_ARN);
    assertScramSecretOnly(roleStatements(s.template, 'RedriveFunctionExecutionRole'));
    assert.deepEqual(nagFindings(s), []);
  });

  test('-c redriveFunction=true works from the command line', () => {
    assert.equal(
      redriveFunctions(synth('example-msk-iam', { redriveFunction: 'true' }, inlineRedrive).template).length,
      1,
    );
  });

  test('real bundle: functions/redrive/handler.ts bundles to an ESM module that loads and rejects a bad request', {
    skip: !existsSync(DEFAULT_REDRIVE_ENTRY),
  }, () => {
    const s = synth('example-msk-iam', { redriveFunction: true }, { redriveFunctionCode: undefined });
    assert.equal(
      invokeBundledHandler(s, 'RedriveFunction', { from: 'input' }),
      'RedriveOptionsError: from must be "error" or "on-failure"',
    );
  });
});
