/**
 * Offline synth of the pipeline stack: the self-managed example and the options every environment may set
 * (settings, overrides, destinations, authentication modes, network, KMS).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { SETTINGS, type Setting, settingKey, tunableSettingNames } from '../../lib/settings/catalogue.ts';
import {
  asArray,
  bySid,
  enrichFunction,
  eventSourceMapping,
  identityStatements,
  nagFindings,
  ROOT_CA_SECRET_ARN,
  roleStatements,
  SCRAM_SECRET_ARN,
  synth,
} from './helpers.ts';

import { actionsOf, commonChecks } from './common-checks.ts';

describe('self-managed Kafka with SASL/SCRAM (example-self-managed-scram)', () => {
  const make = () => synth('example-self-managed-scram');
  commonChecks('self-managed-scram', make);

  test('event source mapping: bootstrap servers, SCRAM + root CA + VPC access configurations', () => {
    const esm = eventSourceMapping(make().template);
    assert.equal(esm.EventSourceArn, undefined);
    assert.deepEqual(esm.SelfManagedEventSource, {
      Endpoints: {
        KafkaBootstrapServers: [
          'kafka-1.example.internal:9096',
          'kafka-2.example.internal:9096',
          'kafka-3.example.internal:9096',
        ],
      },
    });
    assert.deepEqual(esm.Topics, ['codfw.mediawiki.page_change.v1']);
    assert.match(
      esm.SelfManagedKafkaEventSourceConfig.ConsumerGroupId,
      /^mw-page-content-change-enrich-codfw\.[0-9a-f]{8}$/,
    );
    assert.equal(esm.StartingPosition, 'TRIM_HORIZON');
    assert.equal(esm.BatchSize, 200);
    assert.equal(esm.MaximumBatchingWindowInSeconds, 2);
    assert.deepEqual(esm.ProvisionedPollerConfig, { MinimumPollers: 1, MaximumPollers: 2 });
    assert.equal(esm.MaximumRetryAttempts, 5);
    assert.equal(esm.MaximumRecordAgeInSeconds, undefined, 'maxRecordAgeSeconds -1 leaves the (infinite) default');
    assert.equal(esm.BisectBatchOnFunctionError, true);
    assert.deepEqual(esm.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(esm.DestinationConfig, {
      OnFailure: { Destination: 'kafka://codfw.mw_page_content_change_enrich.on_failure' },
    });
    const sac = esm.SourceAccessConfigurations as Array<{ Type: string; URI: unknown }>;
    assert.deepEqual(
      sac.filter((c) => c.Type === 'SASL_SCRAM_512_AUTH').map((c) => c.URI),
      [SCRAM_SECRET_ARN],
    );
    assert.deepEqual(
      sac.filter((c) => c.Type === 'SERVER_ROOT_CA_CERTIFICATE').map((c) => c.URI),
      [ROOT_CA_SECRET_ARN],
    );
    assert.deepEqual(
      sac.filter((c) => c.Type === 'VPC_SUBNET').map((c) => c.URI),
      ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
    );
    const sg = sac.filter((c) => c.Type === 'VPC_SECURITY_GROUP');
    assert.equal(sg.length, 1);
    assert.match(JSON.stringify(sg[0]!.URI), /FunctionSecurityGroup/);
  });

  test('function gets the brokers and the SCRAM secret, no MSK settings', () => {
    const vars = enrichFunction(make().template).resource.Properties.Environment.Variables;
    assert.equal(
      vars.KAFKA_BROKERS,
      'kafka-1.example.internal:9096,kafka-2.example.internal:9096,kafka-3.example.internal:9096',
    );
    assert.equal(vars.KAFKA_AUTH, 'scram');
    assert.equal(vars.KAFKA_SASL_SECRET_ARN, SCRAM_SECRET_ARN);
    assert.equal(vars.KAFKA_MSK_CLUSTER_ARN, undefined);
    assert.equal(vars.KAFKA_TOPIC_PREFIX, 'codfw.');
  });

  test('role reads only its two secrets and has no kafka/kafka-cluster permission', () => {
    const statements = roleStatements(make().template, 'EnrichFunctionExecutionRole');
    const secrets = bySid(statements, 'ReadKafkaSecrets');
    assert.deepEqual(actionsOf(secrets), ['secretsmanager:GetSecretValue']);
    assert.deepEqual(asArray(secrets.Resource).sort(), [ROOT_CA_SECRET_ARN, SCRAM_SECRET_ARN].sort());
    assert.ok(!statements.some((st) => actionsOf(st).some((a) => a.startsWith('kafka'))));
    assert.deepEqual(
      statements.filter((st) => asArray(st.Resource).includes('*')).map((st) => st.Sid),
      ['VpcNetworkInterfaces'],
    );
  });

  test('no topic provisioning and an imported alarm topic', () => {
    const s = make();
    s.template.resourceCountIs('Custom::KafkaTopic', 0);
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(s.template.findResources('AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(alarm.Properties.AlarmActions, ['arn:aws:sns:us-east-1:111122223333:data-platform-alarms']);
    }
  });
});

describe('options', () => {
  test('every tunable function setting is a config key (-c <camelCase>=...) that reaches the function environment', () => {
    const values: Record<string, string> = {};
    for (const name of tunableSettingNames()) {
      const setting: Setting<unknown> = SETTINGS[name];
      // The setting's own example where the type alone suggests no valid value (a URI, a User-Agent, a schema list).
      const sample =
        setting.example ??
        (setting.type === 'integer'
          ? String(Math.max(setting.min ?? 0, 1))
          : setting.type === 'enum'
            ? setting.values![setting.values!.length - 1]!
            : setting.type === 'list'
              ? 'a.example.org,b.example.org'
              : `value-of-${name}`);
      values[settingKey(name)] = sample;
    }
    values.mwApiTimeoutMs = '1000';
    const s = synth('example-msk-iam', values);
    const vars = enrichFunction(s.template).resource.Properties.Environment.Variables;
    for (const name of tunableSettingNames()) assert.equal(vars[name], values[settingKey(name)], name);
  });

  test('per-key context overrides reach the event source mapping (-c batchSize=500 ...)', () => {
    const s = synth('example-msk-iam', {
      batchSize: '500',
      maxBatchingWindowSeconds: '10',
      retryAttempts: '-1',
      bisectBatchOnError: 'false',
      maxRecordAgeSeconds: '3600',
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestamp: '1767225600',
      minPollers: '2',
      maxPollers: '10',
    });
    const esm = eventSourceMapping(s.template);
    assert.equal(esm.BatchSize, 500);
    assert.equal(esm.MaximumBatchingWindowInSeconds, 10);
    assert.equal(esm.MaximumRetryAttempts, -1);
    assert.equal(esm.BisectBatchOnFunctionError, false);
    assert.deepEqual(
      esm.FunctionResponseTypes,
      ['ReportBatchItemFailures'],
      'the handler always answers with a partial batch response',
    );
    assert.equal(esm.MaximumRecordAgeInSeconds, 3600);
    assert.equal(esm.StartingPosition, 'AT_TIMESTAMP');
    assert.equal(esm.StartingPositionTimestamp, 1767225600);
    assert.deepEqual(esm.ProvisionedPollerConfig, { MinimumPollers: 2, MaximumPollers: 10 });
  });

  test('SQS on-failure destination: created, encrypted, TLS-only queue and scoped SendMessage', () => {
    const s = synth('example-msk-iam', { onFailureDestination: 'sqs' });
    const esm = eventSourceMapping(s.template);
    assert.match(JSON.stringify(esm.DestinationConfig.OnFailure.Destination), /OnFailureQueue/);
    s.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', Match.objectLike({}));
    const send = bySid(roleStatements(s.template, 'EnrichFunctionExecutionRole'), 'SendToOnFailureQueue');
    assert.match(JSON.stringify(send.Resource), /OnFailureQueue/);
    // No Kafka on-failure topic then.
    assert.ok(
      !roleStatements(s.template, 'EnrichFunctionExecutionRole').some((st) => /^Msk.*OnFailure/.test(st.Sid ?? '')),
    );
    assert.deepEqual(nagFindings(s), []);
  });

  test('S3 on-failure destination: private, encrypted, TLS-only bucket and scoped PutObject', () => {
    const s = synth('example-self-managed-scram', { onFailureDestination: 's3' });
    const esm = eventSourceMapping(s.template);
    assert.match(JSON.stringify(esm.DestinationConfig.OnFailure.Destination), /OnFailureBucket/);
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const put = bySid(roleStatements(s.template, 'EnrichFunctionExecutionRole'), 'WriteOnFailureBucket');
    assert.deepEqual(actionsOf(put), ['s3:PutObject']);
    assert.match(JSON.stringify(put.Resource), /OnFailureBucket.*\/\*/);
    assert.deepEqual(nagFindings(s), []);
  });

  test('no on-failure destination when onFailureDestination is none', () => {
    const esm = eventSourceMapping(synth('example-msk-iam', { onFailureDestination: 'none' }).template);
    assert.equal(esm.DestinationConfig, undefined);
  });

  test('MSK with SCRAM: secret access configuration, port 9096, no kafka-cluster actions', () => {
    const s = synth('example-msk-scram');
    const secret = s.config.kafkaSecretArn;
    const esm = eventSourceMapping(s.template);
    assert.deepEqual(esm.SourceAccessConfigurations, [{ Type: 'SASL_SCRAM_512_AUTH', URI: secret }]);
    const statements = roleStatements(s.template, 'EnrichFunctionExecutionRole');
    assert.deepEqual(actionsOf(bySid(statements, 'MskClusterDiscovery')), [
      'kafka:DescribeCluster',
      'kafka:DescribeClusterV2',
      'kafka:GetBootstrapBrokers',
      'kafka:ListScramSecrets',
    ]);
    assert.ok(!statements.some((st) => actionsOf(st).some((a) => a.startsWith('kafka-cluster:'))));
    assert.deepEqual(asArray(bySid(statements, 'ReadKafkaSecrets').Resource), [secret]);
    const egress = Object.values(s.template.findResources('AWS::EC2::SecurityGroupEgress')).map(
      (r) => r.Properties.FromPort,
    );
    assert.deepEqual(egress, [9096]);
    assert.deepEqual(nagFindings(s), []);
  });

  test('self-managed mTLS: client certificate access configuration', () => {
    const s = synth('example-self-managed-scram', {
      kafkaAuth: 'tls',
      kafkaBootstrapServers: 'kafka-1.example.internal:9094',
    });
    const sac = eventSourceMapping(s.template).SourceAccessConfigurations as Array<{ Type: string; URI: unknown }>;
    assert.deepEqual(
      sac.filter((c) => c.Type === 'CLIENT_CERTIFICATE_TLS_AUTH').map((c) => c.URI),
      [SCRAM_SECRET_ARN],
    );
  });

  test('self-managed brokers over the internet: no VPC, no security group, no wildcard permission', () => {
    const s = synth('example-self-managed-scram', { vpcId: '', subnetIds: '[]', availabilityZones: '[]' });
    const fn = enrichFunction(s.template).resource.Properties;
    assert.equal(fn.VpcConfig, undefined);
    s.template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    const sac = eventSourceMapping(s.template).SourceAccessConfigurations as Array<{ Type: string }>;
    assert.deepEqual(sac.map((c) => c.Type).sort(), ['SASL_SCRAM_512_AUTH', 'SERVER_ROOT_CA_CERTIFICATE']);
    assert.ok(!identityStatements(s.template).some(({ statement }) => asArray(statement.Resource).includes('*')));
    assert.deepEqual(nagFindings(s), []);
  });

  test('a KMS key for the secrets is granted decrypt through Secrets Manager only', () => {
    const key = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';
    const s = synth('example-self-managed-scram', { kafkaSecretKmsKeyArn: key });
    const decrypt = bySid(roleStatements(s.template, 'EnrichFunctionExecutionRole'), 'DecryptKafkaSecrets');
    assert.equal(decrypt.Resource, key);
    assert.deepEqual(decrypt.Condition, {
      StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
    });
  });

  test('the default entry is the handler path', async () => {
    const { DEFAULT_ENRICH_ENTRY } = await import('../../infra/constructs/enrich-function.ts');
    assert.match(DEFAULT_ENRICH_ENTRY, /\/functions\/page-content-change-enrich\/handler\.ts$/);
  });
});
