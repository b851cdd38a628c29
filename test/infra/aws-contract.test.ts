/**
 * Template assertions for the event source mapping rules AWS documents (issue 9 §2), one describe per rule.
 * Each names the AWS page the stack follows; docs/guarantees.md "AWS contract" lists them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConfigError, resolveConfig } from '../../infra/config/config.ts';
import { loadEnvironmentFile } from '../../infra/config/environment-files.ts';
import { KafkaEventSource } from '../../infra/constructs/kafka-event-source.ts';
import { PipelineStack } from '../../infra/stack/pipeline-stack.ts';
import {
  asArray,
  EXAMPLE_ENVIRONMENTS,
  enrichFunction,
  eventSourceMapping,
  MSK_CLUSTER_ARN,
  nagFindings,
  roleStatements,
  synth,
  synthVariant,
  type Statement,
} from './helpers.ts';

const BROKER_SG = 'sg-0123456789abcdef0';
const MSK_SUBNETS = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2', 'subnet-0ccccccccccccccc3'];

const _actions = (statements: Statement[]) => [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
const warnings = (stack: PipelineStack, pattern: RegExp) =>
  Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(pattern.source));

describe('Provisioned mode only: retries, record age, bisect, partial batch response, on-failure destinations', () => {
  // AWS: "Apache Kafka event poller scaling modes in Lambda", "Configuring error handling controls for Kafka
  // event sources", "Capturing discarded batches for Amazon MSK and self-managed Apache Kafka event sources".
  test('provisioned mode carries every failure handling control, with ReportBatchItemFailures always on', () => {
    const esm = eventSourceMapping(synth('example-msk-iam').template);
    assert.deepEqual(esm.ProvisionedPollerConfig, { MinimumPollers: 1, MaximumPollers: 3 });
    assert.equal(esm.MaximumRetryAttempts, 3);
    assert.equal(esm.MaximumRecordAgeInSeconds, undefined, 'the example starts at TRIM_HORIZON: no maximum age');
    assert.equal(
      eventSourceMapping(synth('example-msk-iam', { maxRecordAgeSeconds: '86400' }).template).MaximumRecordAgeInSeconds,
      86400,
    );
    assert.equal(esm.BisectBatchOnFunctionError, true);
    assert.deepEqual(esm.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.ok(esm.DestinationConfig.OnFailure.Destination);
  });

  test('on-demand with any of them is rejected and the message says why', () => {
    assert.throws(
      () => synth('example-msk-iam', { provisionedPollers: 'false' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /retryAttempts, maxRecordAgeSeconds, bisectBatchOnError, onFailureDestination need provisionedPollers/.test(
          e.message,
        ) &&
        /only in provisioned mode/.test(e.message),
    );
    for (const key of ['retryAttempts', 'maxRecordAgeSeconds', 'bisectBatchOnError'] as const) {
      const value = key === 'bisectBatchOnError' ? true : 100;
      assert.throws(
        () =>
          synthVariant('example-msk-iam', {
            provisionedPollers: false,
            retryAttempts: undefined,
            maxRecordAgeSeconds: undefined,
            bisectBatchOnError: undefined,
            onFailureDestination: undefined,
            [key]: value,
          }),
        new RegExp(`${key} need provisionedPollers`),
      );
    }
    for (const destination of ['kafka', 'sqs', 's3']) {
      assert.throws(
        () =>
          synth('example-self-managed-scram', {
            provisionedPollers: 'false',
            retryAttempts: undefined,
            onFailureDestination: destination,
          }),
        /onFailureDestination need provisionedPollers/,
      );
    }
  });

  test('the on-demand variant synthesizes without them, and warns that partial batch responses are ignored', () => {
    const s = synthVariant('example-msk-iam', {
      provisionedPollers: false,
      retryAttempts: undefined,
      maxRecordAgeSeconds: undefined,
      bisectBatchOnError: undefined,
      onFailureDestination: undefined,
    });
    const esm = eventSourceMapping(s.template);
    for (const key of [
      'ProvisionedPollerConfig',
      'MaximumRetryAttempts',
      'MaximumRecordAgeInSeconds',
      'BisectBatchOnFunctionError',
      'FunctionResponseTypes',
      'DestinationConfig',
    ]) {
      assert.equal(esm[key], undefined, key);
    }
    assert.equal(s.config.onFailureDestination, 'none');
    assert.ok(
      !roleStatements(s.template, 'EnrichFunctionExecutionRole').some((st) => /^Msk.*OnFailure/.test(st.Sid ?? '')),
    );
    const topics = Object.values(s.template.findResources('Custom::KafkaTopic')).map((t) => t.Properties.TopicName);
    assert.ok(!topics.some((t: string) => t.endsWith('.on_failure')), 'no on-failure topic to provision');
    assert.equal(warnings(s.stack, /on-demand mode has no partial batch response/).length, 1);
    // ...so the handler is told to fail the invocation rather than return a list Lambda would ignore.
    const vars = enrichFunction(s.template).resource.Properties.Environment.Variables;
    assert.equal(vars.ESM_PARTIAL_BATCH_RESPONSE, 'false');
    const provisioned = synthVariant('example-msk-iam', {});
    assert.equal(
      enrichFunction(provisioned.template).resource.Properties.Environment.Variables.ESM_PARTIAL_BATCH_RESPONSE,
      'true',
    );
    assert.deepEqual(nagFindings({ ...s, app: s.stack.node.root as App }), []);
  });

  test('the construct refuses provisioned-only properties without provisioned pollers', () => {
    const app = new App();
    const stack = new PipelineStack(app, 'S', {
      config: resolveConfig('t', loadEnvironmentFile('example-msk-iam')),
      enrichFunctionCode: lambda.Code.fromInline('x'),
      topicProvisionerCode: lambda.Code.fromInline('x'),
    });
    assert.throws(
      () =>
        new KafkaEventSource(stack, 'Other', {
          target: stack.enrichFunction.function,
          cluster: { kind: 'msk', clusterArn: MSK_CLUSTER_ARN, auth: 'iam' },
          topic: 't',
          consumerGroupId: 'g',
          batchSize: 100,
          reportBatchItemFailures: true,
        }),
      /reportBatchItemFailures: available only with provisioned pollers/,
    );
  });
});

describe('On-failure topic: not the source; infinite retries are capped', () => {
  // AWS: "Using a Kafka topic as an on-failure destination" (recursion prevention; with infinite retries and an
  // on-failure destination Lambda applies at most 10 retry attempts).
  test('an on-failure topic equal to the input topic is rejected, saying why', () => {
    assert.throws(
      () => synth('example-msk-iam', { onFailureTopic: 'mediawiki.page_change.v1' }),
      /onFailureTopic must differ from inputTopic: Lambda refuses an on-failure topic that is the source/,
    );
  });

  test('retryAttempts -1 with a destination synthesizes with a warning; without one, no warning', () => {
    const capped = synth('example-msk-iam', { retryAttempts: '-1' });
    assert.equal(eventSourceMapping(capped.template).MaximumRetryAttempts, -1);
    assert.equal(warnings(capped.stack, /Lambda applies at most 10 retries/).length, 1);
    const none = synth('example-msk-iam', { retryAttempts: '-1', onFailureDestination: 'none' });
    assert.equal(warnings(none.stack, /Lambda applies at most 10 retries/).length, 0);
    assert.equal(warnings(synth('example-msk-iam').stack, /Lambda applies at most 10 retries/).length, 0);
  });
});

describe('Function timeout at most 14 minutes', () => {
  // AWS: "Configuring Amazon MSK event sources for Lambda" (event source mappings of Kafka support functions
  // with a timeout of at most 14 minutes).
  test('timeoutSeconds 841 is rejected, 840 is the function timeout', () => {
    assert.throws(
      () => synth('example-msk-iam', { timeoutSeconds: '841' }),
      /timeoutSeconds must be an integer between 1 and 840, got 841/,
    );
    assert.equal(
      enrichFunction(synth('example-msk-iam', { timeoutSeconds: '840' }).template).resource.Properties.Timeout,
      840,
    );
  });
});

describe('Starting position TRIM_HORIZON unless LATEST is asked for, with a warning', () => {
  // AWS: "Apache Kafka polling and stream starting positions in Lambda".
  test('the default and every example environment start at TRIM_HORIZON without a warning', () => {
    const s = synthVariant('example-msk-iam', { startingPosition: undefined });
    assert.equal(eventSourceMapping(s.template).StartingPosition, 'TRIM_HORIZON');
    assert.equal(warnings(s.stack, /startingPosition LATEST/).length, 0);
    for (const env of EXAMPLE_ENVIRONMENTS) {
      assert.equal(loadEnvironmentFile(env).startingPosition, 'TRIM_HORIZON', env);
      assert.equal(eventSourceMapping(synth(env).template).StartingPosition, 'TRIM_HORIZON', env);
    }
  });

  test('LATEST set explicitly synthesizes with a warning naming the records it can miss', () => {
    const s = synth('example-msk-iam', { startingPosition: 'LATEST' });
    assert.equal(eventSourceMapping(s.template).StartingPosition, 'LATEST');
    const found = warnings(s.stack, /startingPosition LATEST/);
    assert.equal(found.length, 1);
    assert.match(String(found[0]!.entry.data), /created or updated can be skipped/);
  });
});

describe('The second deploy: what Lambda sets only on create replaces the mapping, in a new group', () => {
  // AWS: "All Amazon MSK event source configuration parameters"
  // (https://docs.aws.amazon.com/lambda/latest/dg/msk-esm-parameters.html) and the self-managed equivalent
  // (https://docs.aws.amazon.com/lambda/latest/dg/kafka-esm-parameters.html): Topics and the consumer group
  // configuration "Can set only on Create"; CloudFormation's AWS::Lambda::EventSourceMapping schema replaces only for
  // EventSourceArn, StartingPosition(Timestamp) and SelfManagedEventSource. "Customizable consumer group ID in
  // Lambda": a group id is unique among Kafka event sources and cannot be updated.
  const mapping = (overrides: Record<string, unknown>, env = 'example-msk-iam') => {
    const template = synth(env, overrides).template;
    const [logicalId, resource] = Object.entries(template.findResources('AWS::Lambda::EventSourceMapping'))[0]!;
    const p = resource.Properties;
    const group: string = (p.AmazonManagedKafkaEventSourceConfig ?? p.SelfManagedKafkaEventSourceConfig)
      .ConsumerGroupId;
    return { logicalId, group, template };
  };

  test('a change of a create-only property (topic, prefix, group, cluster, start) gives a new logical id', () => {
    const base = mapping({});
    assert.match(base.logicalId, /^PageChangeSourceMapping[0-9a-f]{8}[0-9A-F]{8}$/);
    const replacing = [
      { inputTopic: 'other.page_change' },
      { kafkaTopicPrefix: 'codfw.' },
      { consumerGroupId: 'other-group' },
      { startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: '1767225600' },
      { mskClusterArn: MSK_CLUSTER_ARN.replace('wiki-events', 'wiki-events-2') },
    ];
    const ids = replacing.map((o) => mapping(o).logicalId);
    assert.equal(new Set([base.logicalId, ...ids]).size, replacing.length + 1, 'each one a new logical id');
    const selfManaged = mapping({}, 'example-self-managed-scram');
    assert.notEqual(
      mapping({ kafkaBootstrapServers: 'kafka-9.example.internal:9096' }, 'example-self-managed-scram').logicalId,
      selfManaged.logicalId,
    );
  });

  test('a change of batch size, pollers, retries or destinations keeps the logical id and the group', () => {
    const base = mapping({});
    const inPlace = [
      { batchSize: '500' },
      { maxBatchingWindowSeconds: '5' },
      { minPollers: '2', maxPollers: '9' },
      { retryAttempts: '7' },
      { maxRecordAgeSeconds: '3600', startingPosition: 'TRIM_HORIZON' },
      { onFailureDestination: 'sqs', brokerSecurityGroupId: 'sg-0123456789abcdef0' },
      { onFailureTopic: 'other.dlq' },
      { memorySize: '2048' },
    ];
    for (const o of inPlace) {
      const changed = mapping(o);
      assert.equal(changed.logicalId, base.logicalId, JSON.stringify(o));
      assert.equal(changed.group, base.group, JSON.stringify(o));
    }
  });

  test('every property that replaces the mapping moves it to a new group, others keep the group', () => {
    const base = mapping({});
    assert.match(base.group, /^mw-page-content-change-enrich-eqiad\.[0-9a-f]{8}$/);
    const replacing = [
      { inputTopic: 'other.page_change' },
      { consumerGroupId: 'other-group' },
      { startingPosition: 'LATEST' },
      { startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: '1767225600' },
      { mskClusterArn: MSK_CLUSTER_ARN.replace('wiki-events', 'wiki-events-2') },
    ];
    const groups = replacing.map((o) => mapping(o).group);
    assert.equal(
      new Set([base.group, ...groups]).size,
      replacing.length + 1,
      'each replacement gets a group of its own',
    );
    for (const o of [{ batchSize: '500' }, { retryAttempts: '7' }, { maxPollers: '9' }, { memorySize: '2048' }]) {
      assert.equal(mapping(o).group, base.group, JSON.stringify(o));
    }
    const selfManaged = mapping({}, 'example-self-managed-scram');
    assert.notEqual(
      mapping({ kafkaBootstrapServers: 'kafka-9.example.internal:9096' }, 'example-self-managed-scram').group,
      selfManaged.group,
    );
  });

  test('MSK IAM grants exactly the group the mapping joins', () => {
    const { group, template } = mapping({});
    const statement = roleStatements(template, 'EnrichFunctionExecutionRole').find(
      (st) => st.Sid === 'MskConsumerGroup',
    )!;
    assert.deepEqual(asArray(statement.Resource), [`${MSK_CLUSTER_ARN.replace(':cluster/', ':group/')}/${group}`]);
  });
});

describe("MSK pollers use the cluster's security groups: a self-referencing ingress rule", () => {
  // AWS: "Creating a Lambda event source mapping for an Amazon MSK event source" (the pollers' ENIs use the
  // subnet and security group configuration of the MSK cluster, not the function's).
  const selfRules = (template: Template) =>
    Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => p.GroupId === p.SourceSecurityGroupId);

  test('the broker security group admits itself on the broker port of the auth mode', () => {
    const rules = selfRules(synth('example-msk-iam').template);
    assert.deepEqual(
      rules.map((r) => [r.GroupId, r.IpProtocol, r.FromPort, r.ToPort]),
      [[BROKER_SG, 'tcp', 9098, 9098]],
    );
    const scram = selfRules(synth('example-msk-scram').template);
    assert.deepEqual(
      scram.map((r) => r.FromPort),
      [9096],
    );
  });

  test('opt-out for rules managed elsewhere; without a broker security group MSK needs the opt-out', () => {
    assert.deepEqual(selfRules(synth('example-msk-iam', { brokerSecurityGroupSelfIngress: 'false' }).template), []);
    assert.throws(
      () => synthVariant('example-msk-iam', { brokerSecurityGroupId: undefined }),
      /brokerSecurityGroupId is required for MSK: the event pollers use the cluster's security groups/,
    );
    assert.doesNotThrow(() =>
      synthVariant('example-msk-iam', { brokerSecurityGroupId: undefined, brokerSecurityGroupSelfIngress: false }),
    );
  });

  test('self-managed Kafka pollers use the function security group: no self rule', () => {
    assert.deepEqual(selfRules(synth('example-self-managed-scram').template), []);
  });
});

describe('SQS and S3 on-failure destinations get a VPC endpoint in the cluster VPC', () => {
  // AWS: "Capturing discarded batches for Amazon MSK and self-managed Apache Kafka event sources" (a VPC
  // endpoint for the destination service inside the Kafka cluster's VPC).
  const endpoints = (template: Template) =>
    Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((r) => r.Properties);
  /** Ingress rules of a security group, inline or as separate resources. */
  const ingressOf = (template: Template, sgLogicalId: string) => [
    ...(template.toJSON().Resources[sgLogicalId].Properties.SecurityGroupIngress ?? []),
    ...Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(sgLogicalId)),
  ];

  test('SQS on MSK: an interface endpoint in the cluster subnets, HTTPS from the brokers (pollers) group', () => {
    const s = synth('example-msk-iam', { onFailureDestination: 'sqs' });
    const [endpoint, ...more] = endpoints(s.template);
    assert.equal(more.length, 0);
    assert.equal(endpoint.VpcEndpointType, 'Interface');
    assert.equal(endpoint.PrivateDnsEnabled, true);
    assert.match(JSON.stringify(endpoint.ServiceName), /com\.amazonaws\.us-east-1\.sqs|\.sqs"/);
    assert.deepEqual(endpoint.SubnetIds, MSK_SUBNETS);
    const sgId = endpoint.SecurityGroupIds[0]['Fn::GetAtt'][0];
    assert.deepEqual(
      ingressOf(s.template, sgId).map((r: any) => [r.SourceSecurityGroupId, r.FromPort, r.ToPort]),
      [[BROKER_SG, 443, 443]],
    );
    assert.deepEqual(nagFindings(s), []);
  });

  test('S3 on self-managed Kafka: the endpoint admits the pollers, which use the function security group', () => {
    const s = synth('example-self-managed-scram', { onFailureDestination: 's3' });
    const [endpoint] = endpoints(s.template);
    assert.match(JSON.stringify(endpoint.ServiceName), /s3/);
    const sgId = endpoint.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const ingress = ingressOf(s.template, sgId);
    assert.equal(ingress.length, 1);
    assert.match(JSON.stringify(ingress[0].SourceSecurityGroupId), /FunctionSecurityGroup/);
    assert.equal(ingress[0].FromPort, 443);
  });

  test("'existing' creates none; a Kafka destination needs none; creating one needs the pollers' group", () => {
    assert.equal(
      endpoints(synth('example-msk-iam', { onFailureDestination: 'sqs', onFailureVpcEndpoint: 'existing' }).template)
        .length,
      0,
    );
    assert.equal(endpoints(synth('example-msk-iam').template).length, 0);
    assert.throws(
      () =>
        synthVariant('example-msk-iam', {
          onFailureDestination: 'sqs',
          brokerSecurityGroupId: undefined,
          brokerSecurityGroupSelfIngress: false,
        }),
      /onFailureVpcEndpoint 'create' needs brokerSecurityGroupId/,
    );
  });
});
