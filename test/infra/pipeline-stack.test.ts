/**
 * Offline synth of the pipeline stack for both example environments (MSK + IAM, self-managed + SCRAM):
 * event source mapping, function, IAM scoping, networking, destinations, operations and cdk-nag.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { mskGroupArn, mskTopicArn } from '../../infra/config/msk-arns.ts';
import { WILDCARD_STATEMENTS } from '../../infra/constructs/kafka-permissions.ts';
import { functionEnvironment } from '../../infra/stack/pipeline-stack.ts';
import { readSettings, SETTINGS, settingKey, tunableSettingNames } from '../../lib/settings/catalogue.ts';
import {
  asArray,
  bySid,
  enrichFunction,
  eventSourceMapping,
  identityStatements,
  MSK_CLUSTER_ARN,
  MSK_RESOURCE,
  nagAnnotations,
  nagFindings,
  ROOT_CA_SECRET_ARN,
  roleStatements,
  SCRAM_SECRET_ARN,
  synth,
  type Statement,
} from './helpers.ts';

const topicArn = (t: string) => mskTopicArn(MSK_CLUSTER_ARN, t);
const actionsOf = (s: Statement) => asArray(s.Action).slice().sort();

/** Checks shared by every configuration. */
function commonChecks(name: string, make: () => ReturnType<typeof synth>) {
  test(`${name}: the function is Node.js 22 on arm64 with the configured memory/timeout, JSON logs in its own log group`, () => {
    const s = make();
    const { resource } = enrichFunction(s.template);
    assert.equal(resource.Properties.Runtime, 'nodejs24.x');
    assert.deepEqual(resource.Properties.Architectures, ['arm64']);
    assert.equal(resource.Properties.MemorySize, s.config.memorySize);
    assert.equal(resource.Properties.Timeout, s.config.timeoutSeconds);
    assert.equal(resource.Properties.LoggingConfig.LogFormat, 'JSON');
    assert.ok(resource.Properties.LoggingConfig.LogGroup, 'dedicated log group');
    // No --enable-source-maps: cold start CPU and the cost of every error event's stack (see FUNCTION_NODE_OPTIONS).
    assert.equal(resource.Properties.Environment.Variables.NODE_OPTIONS, undefined);
    // The function waits for its policy (ENI and Kafka permissions are checked when it and its ESM are created).
    assert.ok(
      asArray(resource.DependsOn).some((d: string) => d.startsWith('EnrichFunctionExecutionRoleDefaultPolicy')),
    );
  });

  test(`${name}: the function environment is the catalogue's, and the runtime reads back the configured settings`, () => {
    const s = make();
    const vars: Record<string, string> = enrichFunction(s.template).resource.Properties.Environment.Variables;
    const expected = functionEnvironment(s.config);
    for (const [key, value] of Object.entries(expected)) assert.equal(vars[key], value, key);
    // Every variable the stack sets is a catalogued setting (NODE_OPTIONS is the runtime's own).
    const unknown = Object.keys(vars).filter((k) => !(k in SETTINGS) && k !== 'NODE_OPTIONS');
    assert.deepEqual(unknown, []);
    // What the runtime reads from this environment is what infra resolved, setting by setting.
    const read = readSettings(vars);
    for (const name of tunableSettingNames()) assert.deepEqual(read[name], s.config.settings[name], name);
    assert.equal(vars.MW_API_USER_AGENT, s.config.mwApiUserAgent);
    assert.equal(vars.EMITTER_ID, `mw-page-content-change-enrich.${s.config.envName}`);
    assert.equal(vars.POWERTOOLS_METRICS_NAMESPACE, 'MwPageContentChangeEnrich');
    assert.equal(vars.OUTPUT_TOPIC, 'mediawiki.page_content_change.v1');
    assert.equal(vars.ERROR_TOPIC, 'mw_page_content_change_enrich.error');
  });

  test(`${name}: execution role has no managed policies and only allow-listed wildcard statements`, () => {
    const s = make();
    const roles = s.template.findResources('AWS::IAM::Role');
    for (const [id, role] of Object.entries(roles)) {
      if (id.startsWith('TopicsProviderframework')) continue; // CDK Provider framework role (acknowledged in cdk-nag)
      assert.equal(role.Properties.ManagedPolicyArns, undefined, `${id} must not attach managed policies`);
    }
    for (const { owner, statement } of identityStatements(s.template)) {
      const wildcard = asArray(statement.Resource).some((r) => r === '*');
      if (wildcard) {
        assert.ok(
          statement.Sid && WILDCARD_STATEMENTS[statement.Sid],
          `${owner}: Resource '*' without a documented reason: ${JSON.stringify(statement)}`,
        );
      }
      assert.ok(
        !actionsOf(statement).some((a) => a === '*' || a.endsWith(':*')),
        `${owner}: wildcard action ${JSON.stringify(statement.Action)}`,
      );
    }
  });

  test(`${name}: log permissions are scoped to the function's log group`, () => {
    const s = make();
    const logs = bySid(roleStatements(s.template, 'EnrichFunctionExecutionRole'), 'WriteOwnLogs');
    assert.deepEqual(actionsOf(logs), ['logs:CreateLogStream', 'logs:PutLogEvents']);
    const ref = logs.Resource as { 'Fn::GetAtt': [string, string] };
    assert.match(ref['Fn::GetAtt'][0], /^EnrichFunctionLogGroup/);
    assert.equal(ref['Fn::GetAtt'][1], 'Arn');
    const group = s.template.toJSON().Resources[ref['Fn::GetAtt'][0]];
    assert.equal(group.Properties.RetentionInDays, s.config.logRetentionDays);
  });

  test(`${name}: security group allows only broker ports and HTTPS egress, no ingress`, () => {
    const s = make();
    const groups = Object.values(s.template.findResources('AWS::EC2::SecurityGroup'));
    assert.equal(groups.length, 1);
    const sg = groups[0]!.Properties;
    assert.equal(sg.SecurityGroupIngress, undefined, 'no ingress');
    const egress = [
      ...(sg.SecurityGroupEgress ?? []),
      ...Object.values(s.template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties),
    ];
    const ports = egress.map((e: any) => `${e.IpProtocol}/${e.FromPort}-${e.ToPort}`).sort();
    const expected = [...s.config.kafkaBrokerPorts.map((p) => `tcp/${p}-${p}`), 'tcp/443-443'].sort();
    assert.deepEqual(ports, expected);
    assert.ok(!egress.some((e: any) => e.IpProtocol === '-1'), 'no all-traffic egress');
  });

  test(`${name}: alarms on errors, throttles, offset lag and error-event rate; dashboard`, () => {
    const s = make();
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    assert.equal(alarms.length, 4);
    const byMetric = (name: string) => alarms.find((a) => a.MetricName === name);
    assert.equal(byMetric('Errors')?.Namespace, 'AWS/Lambda');
    assert.equal(byMetric('Throttles')?.Namespace, 'AWS/Lambda');
    const lag = alarms.find((a) => JSON.stringify(a.Metrics ?? []).includes('OffsetLag'))!;
    assert.ok(lag, 'offset lag alarm');
    const lagJson = JSON.stringify(lag.Metrics);
    assert.match(lagJson, /"EventSourceMappingUUID"/);
    assert.match(lagJson, /"FunctionName"/);
    assert.equal(lag.Threshold, s.config.offsetLagThreshold);
    const rate = alarms.find((a) => JSON.stringify(a.Metrics ?? []).includes('ErrorEvents'))!;
    const rateJson = JSON.stringify(rate.Metrics);
    assert.match(rateJson, /"Namespace":"MwPageContentChangeEnrich"/);
    assert.match(rateJson, /"MetricName":"EnrichedEvents"/);
    assert.match(rateJson, /"Name":"service","Value":"mw-page-content-change-enrich"/);
    assert.equal(rate.Threshold, s.config.errorEventRatePercentThreshold);
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test(`${name}: cdk-nag AwsSolutions has no unacknowledged finding`, () => {
    const s = make();
    assert.deepEqual(nagFindings(s), []);
    assert.deepEqual(nagAnnotations(s), []);
  });
}

describe('MSK with IAM access control (example-msk-iam)', () => {
  const make = () => synth('example-msk-iam');
  commonChecks('msk-iam', make);

  test('event source mapping: cluster, topic, group, batching, pollers, failure handling', () => {
    const esm = eventSourceMapping(make().template);
    assert.equal(esm.EventSourceArn, MSK_CLUSTER_ARN);
    assert.deepEqual(esm.Topics, ['eqiad.mediawiki.page_change.v1']);
    assert.match(
      esm.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId,
      /^mw-page-content-change-enrich-eqiad\.[0-9a-f]{8}$/,
    );
    assert.equal(esm.StartingPosition, 'TRIM_HORIZON');
    assert.equal(esm.BatchSize, 100);
    assert.equal(esm.MaximumBatchingWindowInSeconds, 1);
    assert.deepEqual(esm.ProvisionedPollerConfig, { MinimumPollers: 1, MaximumPollers: 3 });
    assert.equal(esm.MaximumRetryAttempts, 3);
    assert.equal(esm.MaximumRecordAgeInSeconds, 86400);
    assert.equal(esm.BisectBatchOnFunctionError, true);
    assert.deepEqual(esm.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(esm.DestinationConfig, {
      OnFailure: { Destination: 'kafka://eqiad.mw_page_content_change_enrich.on_failure' },
    });
    // IAM access control: no SourceAccessConfigurations, the execution role authenticates.
    assert.equal(esm.SourceAccessConfigurations, undefined);
    assert.equal(esm.SelfManagedEventSource, undefined);
    assert.deepEqual(esm.MetricsConfig, { Metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] });
  });

  test('function runs in the cluster VPC subnets with reserved concurrency', () => {
    const s = make();
    const props = enrichFunction(s.template).resource.Properties;
    assert.deepEqual(props.VpcConfig.SubnetIds, [
      'subnet-0aaaaaaaaaaaaaaa1',
      'subnet-0bbbbbbbbbbbbbbb2',
      'subnet-0ccccccccccccccc3',
    ]);
    assert.equal(props.VpcConfig.SecurityGroupIds.length, 1);
    assert.equal(props.ReservedConcurrentExecutions, 20);
    assert.equal(props.Environment.Variables.KAFKA_MSK_CLUSTER_ARN, MSK_CLUSTER_ARN);
    assert.equal(props.Environment.Variables.KAFKA_AUTH, 'iam');
    assert.equal(props.Environment.Variables.KAFKA_BROKERS, undefined);
    assert.equal(props.Environment.Variables.KAFKA_TOPIC_PREFIX, 'eqiad.');
  });

  test('kafka-cluster actions are scoped to exactly the cluster, topics and group used', () => {
    const statements = roleStatements(make().template, 'EnrichFunctionExecutionRole');
    assert.deepEqual(bySid(statements, 'MskConnect').Resource, MSK_CLUSTER_ARN);
    assert.deepEqual(actionsOf(bySid(statements, 'MskConnect')), ['kafka-cluster:Connect']);

    const read = bySid(statements, 'MskReadInputTopic');
    assert.deepEqual(actionsOf(read), ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData']);
    assert.deepEqual(asArray(read.Resource), [
      `arn:aws:kafka:us-east-1:111122223333:topic/${MSK_RESOURCE}/eqiad.mediawiki.page_change.v1`,
    ]);

    const group = bySid(statements, 'MskConsumerGroup');
    assert.deepEqual(actionsOf(group), ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup']);
    const groupId = eventSourceMapping(make().template).AmazonManagedKafkaEventSourceConfig.ConsumerGroupId;
    assert.deepEqual(asArray(group.Resource), [mskGroupArn(MSK_CLUSTER_ARN, groupId)]);
    assert.equal(mskGroupArn(MSK_CLUSTER_ARN, 'g'), `arn:aws:kafka:us-east-1:111122223333:group/${MSK_RESOURCE}/g`);

    const write = bySid(statements, 'MskWriteTopics');
    assert.deepEqual(actionsOf(write), ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData']);
    assert.deepEqual(
      asArray(write.Resource).sort(),
      [
        topicArn('eqiad.mediawiki.page_content_change.v1'),
        topicArn('eqiad.mw_page_content_change_enrich.error'),
      ].sort(),
    );

    const dlq = bySid(statements, 'MskWriteOnFailureTopic');
    assert.deepEqual(actionsOf(dlq), ['kafka-cluster:WriteData']);
    assert.deepEqual(asArray(dlq.Resource), [topicArn('eqiad.mw_page_content_change_enrich.on_failure')]);
    assert.deepEqual(asArray(bySid(statements, 'MskIdempotentProducer').Resource), [MSK_CLUSTER_ARN]);

    const discovery = bySid(statements, 'MskClusterDiscovery');
    assert.deepEqual(actionsOf(discovery), ['kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers']);
    assert.equal(discovery.Resource, MSK_CLUSTER_ARN);

    // No kafka-cluster action anywhere else, and never on a wildcard.
    for (const statement of statements) {
      if (!actionsOf(statement).some((a) => a.startsWith('kafka'))) continue;
      for (const resource of asArray(statement.Resource)) {
        assert.match(
          String(resource),
          new RegExp(`^arn:aws:kafka:us-east-1:111122223333:(cluster|topic|group)/${MSK_RESOURCE}(/[A-Za-z0-9._-]+)?$`),
        );
      }
    }
    // Read only the input topic, write only output/error/on-failure topics.
    const readers = statements
      .filter((st) => actionsOf(st).includes('kafka-cluster:ReadData'))
      .flatMap((st) => asArray(st.Resource));
    assert.deepEqual(readers, [topicArn('eqiad.mediawiki.page_change.v1')]);
    const writers = statements
      .filter((st) => actionsOf(st).includes('kafka-cluster:WriteData'))
      .flatMap((st) => asArray(st.Resource));
    assert.deepEqual(
      writers.sort(),
      [
        'mediawiki.page_content_change.v1',
        'mw_page_content_change_enrich.error',
        'mw_page_content_change_enrich.on_failure',
      ]
        .map((t) => topicArn(`eqiad.${t}`))
        .sort(),
    );
    // No secrets with IAM auth.
    assert.ok(!statements.some((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:'))));
  });

  test('the only wildcard statement is the ENI statement for the VPC function and the MSK pollers', () => {
    const statements = roleStatements(make().template, 'EnrichFunctionExecutionRole');
    const wildcard = statements.filter((st) => asArray(st.Resource).includes('*'));
    assert.deepEqual(
      wildcard.map((st) => st.Sid),
      ['VpcNetworkInterfaces'],
    );
    assert.ok(actionsOf(wildcard[0]!).every((a) => a.startsWith('ec2:')));
  });

  test('broker security group gets ingress on 9098 from the function security group and from itself', () => {
    const s = make();
    const ingress = Object.values(s.template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    assert.equal(ingress.length, 2);
    for (const rule of ingress) {
      assert.equal(rule.GroupId, 'sg-0123456789abcdef0');
      assert.equal(rule.FromPort, 9098);
      assert.equal(rule.ToPort, 9098);
    }
    assert.equal(
      ingress.filter((r) => JSON.stringify(r.SourceSecurityGroupId).includes('FunctionSecurityGroup')).length,
      1,
    );
    assert.equal(ingress.filter((r) => r.SourceSecurityGroupId === 'sg-0123456789abcdef0').length, 1);
    const egress = Object.values(s.template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties);
    assert.deepEqual(
      egress.map((e) => [e.DestinationSecurityGroupId, e.FromPort]),
      [['sg-0123456789abcdef0', 9098]],
    );
  });

  test('topics are provisioned by the custom resource, retained on delete', () => {
    const s = make();
    const topics = Object.values(s.template.findResources('Custom::KafkaTopic'));
    assert.deepEqual(topics.map((t) => t.Properties.TopicName).sort(), [
      'eqiad.mediawiki.page_content_change.v1',
      'eqiad.mw_page_content_change_enrich.error',
      'eqiad.mw_page_content_change_enrich.on_failure',
    ]);
    for (const t of topics) {
      assert.equal(t.DeletionPolicy, 'Retain');
      assert.equal(t.UpdateReplacePolicy, 'Retain');
      assert.equal(t.Properties.RemovalPolicy, 'retain');
      assert.equal(t.Properties.NumPartitions, 3);
      assert.equal(t.Properties.ReplicationFactor, 3);
      assert.deepEqual(t.Properties.Configs, { 'retention.ms': '604800000', 'max.message.bytes': '10485760' });
    }
    const manage = bySid(roleStatements(s.template, 'TopicsOnEventRole'), 'MskManageTopics');
    assert.ok(!actionsOf(manage).includes('kafka-cluster:DeleteTopic'), 'no DeleteTopic with removal policy retain');
    assert.deepEqual(asArray(manage.Resource).sort(), topics.map((t) => topicArn(t.Properties.TopicName)).sort());
    // The mapping starts after the topics exist.
    const esmId = Object.keys(s.template.findResources('AWS::Lambda::EventSourceMapping'))[0]!;
    const deps: string[] = s.template.toJSON().Resources[esmId].DependsOn;
    assert.ok(deps.some((d) => d.startsWith('TopicsTopic')));
  });

  test('topic removal policy destroy-if-empty lets CloudFormation call Delete and grants DeleteTopic', () => {
    const s = synth('example-msk-iam', { topicRemovalPolicy: 'destroy-if-empty' });
    for (const t of Object.values(s.template.findResources('Custom::KafkaTopic'))) {
      assert.equal(t.DeletionPolicy, 'Delete');
      assert.equal(t.Properties.RemovalPolicy, 'destroy-if-empty');
    }
    const manage = bySid(roleStatements(s.template, 'TopicsOnEventRole'), 'MskManageTopics');
    assert.ok(actionsOf(manage).includes('kafka-cluster:DeleteTopic'));
  });

  test('alarm topic is KMS encrypted, TLS-only, with the e-mail subscription, wired to every alarm', () => {
    const s = make();
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const alarm of Object.values(s.template.findResources('AWS::CloudWatch::Alarm'))) {
      assert.equal(alarm.Properties.AlarmActions.length, 1);
      assert.equal(alarm.Properties.OKActions.length, 1);
    }
  });
});

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
      const setting = SETTINGS[name];
      const sample =
        setting.type === 'integer'
          ? String(Math.max(setting.min ?? 0, 1))
          : setting.type === 'enum'
            ? setting.values![setting.values!.length - 1]!
            : setting.type === 'list'
              ? 'a.example.org,b.example.org'
              : name === 'MW_API_URL_TEMPLATE'
                ? 'https://mesh.example.org/w/api.php'
                : name === 'MW_API_USER_AGENT'
                  ? 'tool/1 (ops@example.org)'
                  : `value-of-${name}`;
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
      !roleStatements(s.template, 'EnrichFunctionExecutionRole').some((st) => st.Sid === 'MskWriteOnFailureTopic'),
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
    const secret = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:AmazonMSK_wiki-events-AbCdEf';
    const s = synth('example-msk-iam', { kafkaAuth: 'scram', kafkaSecretArn: secret });
    const esm = eventSourceMapping(s.template);
    assert.deepEqual(esm.SourceAccessConfigurations, [{ Type: 'SASL_SCRAM_512_AUTH', URI: secret }]);
    const statements = roleStatements(s.template, 'EnrichFunctionExecutionRole');
    assert.deepEqual(actionsOf(bySid(statements, 'MskClusterDiscovery')), [
      'kafka:DescribeClusterV2',
      'kafka:GetBootstrapBrokers',
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
