/**
 * Template assertions for how the functions reach the cluster, as AWS documents it: the permission lists per
 * authentication mode, and one Kafka client configuration for the function and the topic provisioner.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.ts';
import { functionEnvironment, type PipelineStack } from '../../infra/stack/pipeline-stack.ts';
import {
  asArray,
  enrichFunction,
  roleStatements,
  SCRAM_SECRET_ARN,
  synth,
  synthVariant,
  type Statement,
} from './helpers.ts';

const _BROKER_SG = 'sg-0123456789abcdef0';
const _MSK_SUBNETS = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2', 'subnet-0ccccccccccccccc3'];

const actions = (statements: Statement[]) => [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
const _warnings = (stack: PipelineStack, pattern: RegExp) =>
  Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(pattern.source));

describe("IAM: AWS's permission lists per auth mode, nothing broader", () => {
  // AWS: "Configuring Lambda permissions for Amazon MSK event source mappings", "Configuring Amazon MSK cluster
  // authentication methods in Lambda", "Giving Lambda functions access to resources in an Amazon VPC",
  // "Capturing discarded batches for Amazon MSK and self-managed Apache Kafka event sources".
  const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const ENI_FUNCTION_AND_POLLERS = [
    'ec2:AssignPrivateIpAddresses',
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeSubnets',
    'ec2:DescribeVpcs',
    'ec2:UnassignPrivateIpAddresses',
  ];
  const SECRETS = ['secretsmanager:GetSecretValue'];
  const role = (template: Template) => actions(roleStatements(template, 'EnrichFunctionExecutionRole'));

  test('MSK with IAM access control', () => {
    const got = role(synth('example-msk-iam').template);
    const expected = [
      ...LOGS,
      ...ENI_FUNCTION_AND_POLLERS,
      'kafka:DescribeCluster',
      'kafka:DescribeClusterV2',
      'kafka:GetBootstrapBrokers',
      'kafka-cluster:AlterGroup',
      'kafka-cluster:Connect',
      'kafka-cluster:DescribeCluster',
      'kafka-cluster:DescribeGroup',
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:ReadData',
      'kafka-cluster:WriteData',
      'kafka-cluster:WriteDataIdempotently',
    ].sort();
    assert.deepEqual(got, expected);
    // The DescribeConfigs cluster ACL (kafka-cluster:DescribeClusterDynamicConfiguration in "Semantics of IAM
    // authorization policy actions and resources") is asked for with SASL/SCRAM and mTLS only ("Troubleshooting
    // Kafka event source mapping errors", https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-troubleshoot.html);
    // the IAM list of "Configuring Lambda permissions for Amazon MSK event source mappings"
    // (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html) does not name it.
    assert.ok(!got.includes('kafka-cluster:DescribeClusterDynamicConfiguration'), "not on AWS's IAM list");
  });

  test('MSK with SCRAM (example-msk-scram): the secret and the customer managed key it is encrypted with', () => {
    const got = role(synth('example-msk-scram').template);
    assert.deepEqual(
      got,
      [
        ...LOGS,
        ...ENI_FUNCTION_AND_POLLERS,
        ...SECRETS,
        'kms:Decrypt',
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
        'kafka:GetBootstrapBrokers',
        'kafka:ListScramSecrets',
      ].sort(),
    );
  });

  test('self-managed SCRAM in a VPC, and over the internet (no ENI actions at all)', () => {
    assert.deepEqual(
      role(synth('example-self-managed-scram').template),
      [...LOGS, ...ENI_FUNCTION_AND_POLLERS, ...SECRETS].sort(),
    );
    const internet = synthVariant('example-self-managed-scram', {
      vpcId: undefined,
      subnetIds: undefined,
      availabilityZones: undefined,
    });
    assert.deepEqual(role(internet.template), [...LOGS, ...SECRETS].sort());
  });

  test('on-failure destinations: SQS sqs:SendMessage, S3 s3:PutObject + s3:ListBucket, Kafka DescribeTopic + WriteData (execution-role.test.ts, row by row)', () => {
    const sqs = roleStatements(
      synth('example-msk-iam', { onFailureDestination: 'sqs' }).template,
      'EnrichFunctionExecutionRole',
    );
    assert.deepEqual(actions(sqs.filter((st) => st.Sid === 'SendToOnFailureQueue')), ['sqs:SendMessage']);
    const s3 = roleStatements(
      synth('example-msk-iam', { onFailureDestination: 's3' }).template,
      'EnrichFunctionExecutionRole',
    );
    assert.deepEqual(actions(s3.filter((st) => /OnFailureBucket/.test(st.Sid ?? ''))), [
      's3:ListBucket',
      's3:PutObject',
    ]);
    const kafka = roleStatements(synth('example-msk-iam').template, 'EnrichFunctionExecutionRole');
    assert.deepEqual(actions(kafka.filter((st) => st.Sid === 'MskWriteOnFailureTopic')), [
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:WriteData',
    ]);
  });

  test('the topic provisioner (a VPC function, no pollers) gets the VPC function ENI list only', () => {
    const statements = roleStatements(synth('example-msk-iam').template, 'TopicsOnEventRole');
    const eni = actions(statements.filter((st) => st.Sid === 'VpcNetworkInterfaces'));
    assert.deepEqual(eni, [
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:UnassignPrivateIpAddresses',
    ]);
  });
});

describe('One Kafka client configuration for the function and the topic provisioner', () => {
  test('mTLS: the function gets the client certificate secret and the runtime reads it as its certificate', () => {
    const s = synth('example-self-managed-scram', {
      kafkaAuth: 'tls',
      kafkaBootstrapServers: 'kafka-1.example.internal:9094',
    });
    const env = enrichFunction(s.template).resource.Properties.Environment.Variables;
    assert.equal(env.KAFKA_AUTH, 'tls');
    assert.equal(env.KAFKA_CLIENT_CERT_SECRET_ARN, SCRAM_SECRET_ARN);
    assert.equal(env.KAFKA_SASL_SECRET_ARN, undefined);
    const connection = kafkaConnectionConfigFromEnv(functionEnvironment(s.config));
    assert.equal(connection.auth, 'tls');
    assert.equal(connection.clientCertificateSecretArn, SCRAM_SECRET_ARN);
    assert.equal(connection.saslSecretArn, undefined);
  });

  test('the provisioner gets the same Kafka variables as the function, for every auth mode', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['example-msk-iam', {}],
      ['example-msk-scram', {}],
      ['example-self-managed-scram', { provisionTopics: 'true' }],
      ['example-self-managed-scram', { provisionTopics: 'true', kafkaAuth: 'tls' }],
    ];
    for (const [env, overrides] of cases) {
      const s = synth(env, overrides);
      const fnEnv = enrichFunction(s.template).resource.Properties.Environment.Variables;
      const provisioner = Object.entries(s.template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('TopicsOnEvent'),
      )!;
      const provEnv = provisioner[1].Properties.Environment.Variables;
      const kafkaKeys = (e: Record<string, string>) =>
        Object.keys(e).filter(
          (k) => k.startsWith('KAFKA_') && !/CLIENT_ID|TIMEOUT|LOG_LEVEL|TOPIC_PREFIX|MAX_MESSAGE|COMPRESSION/.test(k),
        );
      assert.deepEqual(kafkaKeys(provEnv).sort(), kafkaKeys(fnEnv).sort(), JSON.stringify(overrides));
      for (const key of kafkaKeys(fnEnv)) assert.deepEqual(provEnv[key], fnEnv[key], key);
    }
  });
});
