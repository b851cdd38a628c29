/**
 * The opt-in EventStreams ingest (`ingest: { url, userAgent, since? }`): off by default; when on, a scheduled
 * function (every 15 minutes, 15-minute timeout, no reserved concurrency), the enrichment function's cluster
 * connection, IAM for the input topic only (MSK IAM: describe, write, read; its transactional id; its
 * position-read groups; SCRAM: the secret), alarms on errors and on lag behind `meta.dt`, cdk-nag clean.
 * Configuration problems are named.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { mskTransactionalIdArn } from '../../infra/config/msk-arns.ts';
import { DEFAULT_INGEST_ENTRY } from '../../infra/constructs/eventstreams-ingest.ts';
import {
  actionsOf,
  asArray,
  assertInputTopicWriterMskIam,
  assertScramSecretOnly,
  bySid,
  functionsNamed,
  INGEST,
  inlineIngest,
  invokeBundledHandler,
  MSK_CLUSTER_ARN,
  nagAnnotations,
  nagFindings,
  roleStatements,
  synth,
} from './helpers.ts';

const ingestFunctions = (template: ReturnType<typeof synth>['template']) =>
  functionsNamed(template, 'EventStreamsIngest');

describe('EventStreams ingest', () => {
  test('is not deployed unless an environment sets ingest', () => {
    assert.equal(ingestFunctions(synth('example-msk-iam').template).length, 0);
    assert.equal(ingestFunctions(synth('example-self-managed-scram').template).length, 0);
  });

  test('MSK + IAM: a scheduled function with the input topic only, its transactional id and groups; alarms; cdk-nag clean', () => {
    const s = synth('example-msk-iam', { ingest: { ...INGEST, since: '2026-09-01T00:00:00Z' } }, inlineIngest);
    const [fn] = ingestFunctions(s.template);
    assert.ok(fn, 'the ingest function exists');
    const p = fn.Properties;
    assert.equal(p.Timeout, 900, 'a run reads for most of the 15 minutes Lambda allows');
    assert.equal(p.ReservedConcurrentExecutions, undefined, 'overlapping runs fence each other: nothing to reserve');
    const env = p.Environment.Variables;
    assert.equal(env.EVENTSTREAMS_URL, INGEST.url);
    assert.equal(env.EVENTSTREAMS_USER_AGENT, INGEST.userAgent);
    assert.equal(env.EVENTSTREAMS_SINCE, '2026-09-01T00:00:00Z');
    assert.equal(env.KAFKA_MSK_CLUSTER_ARN, MSK_CLUSTER_ARN);
    assert.equal(env.KAFKA_AUTH, 'iam');
    assert.equal(env.KAFKA_TOPIC_PREFIX, 'eqiad.');
    assert.equal(env.INPUT_TOPIC, 'mediawiki.page_change.v1');
    assert.equal(env.INGEST_TRANSACTIONAL_ID, 'mw-page-content-change-enrich-eqiad.ingest');
    assert.equal(env.MW_API_URL_TEMPLATE, undefined, 'the ingest never calls MediaWiki');

    // Scheduled every 15 minutes, no retry of a failed run.
    const rules = Object.values(s.template.findResources('AWS::Events::Rule'));
    assert.equal(rules.length, 1);
    assert.equal(rules[0]!.Properties.ScheduleExpression, 'rate(15 minutes)');
    assert.equal(rules[0]!.Properties.Targets[0].RetryPolicy.MaximumRetryAttempts, 0);

    const statements = roleStatements(s.template, 'EventStreamsIngestFunctionExecutionRole');
    // It reads back the topic it writes, and nothing else.
    assertInputTopicWriterMskIam(statements, {
      input: 'eqiad.mediawiki.page_change.v1',
      reads: ['eqiad.mediawiki.page_change.v1'],
      groups: { sid: 'MskIngestPositionGroups', prefix: 'mw-page-content-change-enrich-eqiad.ingest.position.' },
    });
    assert.deepEqual(actionsOf(bySid(statements, 'MskIngestTransactionalId')), [
      'kafka-cluster:AlterTransactionalId',
      'kafka-cluster:DescribeTransactionalId',
    ]);
    assert.deepEqual(asArray(bySid(statements, 'MskIngestTransactionalId').Resource), [
      mskTransactionalIdArn(MSK_CLUSTER_ARN, 'mw-page-content-change-enrich-eqiad.ingest'),
    ]);

    const alarms = Object.entries(s.template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith('EventStreamsIngest'),
    );
    const byMetric = Object.fromEntries(alarms.map(([, a]) => [a.Properties.MetricName, a.Properties]));
    assert.equal(byMetric.Errors?.Threshold, 1);
    assert.equal(byMetric.IngestLagSeconds?.Threshold, 1800);
    assert.equal(byMetric.IngestLagSeconds?.TreatMissingData, 'breaching', 'no run writing anything is lag too');

    assert.deepEqual(nagFindings(s), []);
    assert.deepEqual(nagAnnotations(s), []);
  });

  test('self-managed + SCRAM: the secret, no IAM data-plane actions', () => {
    const s = synth('example-self-managed-scram', { ingest: INGEST }, inlineIngest);
    assertScramSecretOnly(roleStatements(s.template, 'EventStreamsIngestFunctionExecutionRole'));
    assert.deepEqual(nagFindings(s), []);
  });

  test('-c ingest=JSON works from the command line; bad values are named', () => {
    assert.equal(
      ingestFunctions(synth('example-msk-iam', { ingest: JSON.stringify(INGEST) }, inlineIngest).template).length,
      1,
    );
    assert.throws(
      () =>
        synth(
          'example-msk-iam',
          { ingest: { url: 'http://stream.example', userAgent: 'anonymous', since: 'yesterday', extra: 1 } },
          inlineIngest,
        ),
      (err: Error) =>
        /ingest\.url must be an https:\/\/ URL/.test(err.message) &&
        /ingest\.userAgent must name a contact/.test(err.message) &&
        /ingest\.since must be ISO 8601/.test(err.message) &&
        /ingest\.extra is not a key of ingest/.test(err.message),
    );
  });

  test('real bundle: functions/eventstreams-ingest/handler.ts bundles to an ESM module that loads and names a missing setting', {
    skip: !existsSync(DEFAULT_INGEST_ENTRY),
  }, () => {
    const s = synth('example-msk-iam', { ingest: INGEST });
    assert.equal(
      invokeBundledHandler(s, 'EventStreamsIngest', {}, { KAFKA_BROKERS: '127.0.0.1:1' }),
      'ConfigurationError: set EVENTSTREAMS_URL (the EventStreams stream to ingest)',
    );
  });
});
