/**
 * Offline synth of the pipeline stack for both example environments (MSK + IAM, self-managed + SCRAM):
 * event source mapping, function, IAM scoping, networking, destinations, operations and cdk-nag.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { mskGroupArn } from '../../infra/config/msk-arns.ts';
import { SETTINGS, WIKIMEDIA_SCHEMA_REPOSITORY } from '../../lib/settings/catalogue.ts';
import {
  asArray,
  bySid,
  enrichFunction,
  eventSourceMapping,
  MSK_CLUSTER_ARN,
  MSK_RESOURCE,
  roleStatements,
  synth,
} from './helpers.ts';

import { actionsOf, commonChecks, topicArn } from './common-checks.ts';

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
    assert.equal(esm.MaximumRecordAgeInSeconds, undefined);
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

  test('function runs in the cluster VPC subnets, with reserved concurrency when the environment sets it', () => {
    assert.equal(enrichFunction(make().template).resource.Properties.ReservedConcurrentExecutions, undefined);
    const s = synth('example-msk-iam', { reservedConcurrency: '20' });
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
    assert.deepEqual(actionsOf(dlq), ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData']);
    assert.deepEqual(asArray(dlq.Resource), [topicArn('eqiad.mw_page_content_change_enrich.on_failure')]);
    assert.deepEqual(asArray(bySid(statements, 'MskIdempotentProducer').Resource), [MSK_CLUSTER_ARN]);

    const discovery = bySid(statements, 'MskClusterDiscovery');
    // DescribeCluster for the Kafka on-failure destination's producer (execution-role.test.ts).
    assert.deepEqual(actionsOf(discovery), [
      'kafka:DescribeCluster',
      'kafka:DescribeClusterV2',
      'kafka:GetBootstrapBrokers',
    ]);
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

describe('stack outputs', () => {
  // Issue 28: the outputs name the run-time schema resolution setting and what the function reads from it.
  const output = (s: ReturnType<typeof synth>) => s.template.toJSON().Outputs.EventSchemaBaseUris;

  test('EventSchemaBaseUris: the catalogue default (Wikimedia) when the environment leaves it unset', () => {
    const s = synth('example-msk-iam');
    assert.equal(output(s).Value, WIKIMEDIA_SCHEMA_REPOSITORY);
    assert.equal(output(s).Value, SETTINGS.EVENT_SCHEMA_BASE_URIS.default.join(','));
    assert.match(output(s).Description, /^EVENT_SCHEMA_BASE_URIS: .*\(default;/);
  });

  test('EventSchemaBaseUris: the configured mirrors, in order, as the function environment carries them', () => {
    const mirrors =
      'https://schemas.example.org/jsonschema,https://schema.wikimedia.org/repositories/primary/jsonschema';
    const s = synth('example-msk-iam', { eventSchemaBaseUris: mirrors });
    assert.equal(output(s).Value, mirrors);
    assert.equal(enrichFunction(s.template).resource.Properties.Environment.Variables.EVENT_SCHEMA_BASE_URIS, mirrors);
    assert.match(output(s).Description, /\(set by the environment;/);
  });
});
