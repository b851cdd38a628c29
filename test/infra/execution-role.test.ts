/**
 * The execution roles against AWS's tables, one test per row: the MSK execution-role page, the self-managed
 * execution-role page, and the Amazon MSK IAM action table (every granted `kafka-cluster` action comes with the
 * actions the table requires for it). Each test names its page.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import {
  asArray,
  MSK_CLUSTER_ARN,
  roleStatements,
  ROOT_CA_SECRET_ARN,
  SCRAM_SECRET_ARN,
  synth,
  synthVariant,
  type Statement,
} from './helpers.ts';

const MSK_PAGE =
  '"Configuring Lambda permissions for Amazon MSK event source mappings", https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html';
const SELF_MANAGED_PAGE =
  '"Configuring Lambda execution role permissions" (self-managed Apache Kafka), https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-permissions.html';
const ACTION_TABLE_PAGE =
  '"Semantics of IAM authorization policy actions and resources", https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html';
const KAFKA_DESTINATION_PAGE =
  '"Using a Kafka topic as an on-failure destination", https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html';

const MSK_SCRAM_SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:AmazonMSK_wiki-AbCdEf';
const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ENRICH = 'EnrichFunctionExecutionRole';
const VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
];

const actionsOf = (statements: Statement[]) => [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
/** Every (action, resource) a role is granted. */
const grants = (statements: Statement[]) =>
  statements.flatMap((s) =>
    asArray(s.Action).flatMap((action) => asArray(s.Resource).map((resource) => ({ action, resource }))),
  );
const roles = (template: Template) =>
  Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => !id.startsWith('TopicsProviderframework'));
const granted = (statements: Statement[], action: string, resource?: unknown) =>
  grants(statements).some(
    (g) => g.action === action && (resource === undefined || JSON.stringify(g.resource) === JSON.stringify(resource)),
  );

describe(`MSK execution role, row by row: ${MSK_PAGE}`, () => {
  const iam = synth('example-msk-iam', { redriveFunction: 'true' });
  const scram = synth('example-msk-iam', { kafkaAuth: 'scram', kafkaSecretArn: MSK_SCRAM_SECRET });
  const scramCmk = synth('example-msk-iam', {
    kafkaAuth: 'scram',
    kafkaSecretArn: MSK_SCRAM_SECRET,
    kafkaSecretKmsKeyArn: KMS_KEY,
  });

  test('CloudWatch Logs: each function writes its own log group (the stack creates it: no logs:CreateLogGroup)', () => {
    for (const role of ['EnrichFunctionExecutionRole', 'RedriveFunctionExecutionRole']) {
      const logs = roleStatements(iam.template, role).filter((s) => actionsOf([s]).some((a) => a.startsWith('logs:')));
      assert.deepEqual(actionsOf(logs), ['logs:CreateLogStream', 'logs:PutLogEvents'], role);
      assert.equal(logs.length, 1, role);
      assert.match(JSON.stringify(logs[0]!.Resource), /LogGroup/, `${role}: its own log group only`);
    }
  });

  test('MSK cluster: kafka:DescribeClusterV2 (one of the two describe actions) and kafka:GetBootstrapBrokers', () => {
    const statements = roleStatements(iam.template, ENRICH);
    assert.ok(granted(statements, 'kafka:DescribeClusterV2', MSK_CLUSTER_ARN));
    assert.ok(granted(statements, 'kafka:GetBootstrapBrokers', MSK_CLUSTER_ARN));
    assert.ok(!granted(statements, 'kafka:DescribeCluster'), 'only one of DescribeCluster and DescribeClusterV2');
  });

  test('VPC: the six network interface actions for the pollers in the cluster VPC', () => {
    const eni = roleStatements(iam.template, ENRICH).filter((s) => s.Sid === 'VpcNetworkInterfaces');
    for (const action of VPC_ACTIONS) assert.ok(actionsOf(eni).includes(action), action);
  });

  test('optional, cross-account: no kafka:DescribeVpcConnection (the cluster must be in the stack account)', () => {
    for (const role of roles(iam.template)) {
      assert.ok(!granted(roleStatements(iam.template, role), 'kafka:DescribeVpcConnection'), role);
    }
    assert.throws(
      () => synth('example-msk-iam', { mskClusterArn: MSK_CLUSTER_ARN.replace('111122223333', '444455556666') }),
      /stack's account and region/,
    );
  });

  test('optional, SASL/SCRAM: kafka:ListScramSecrets on the cluster and secretsmanager:GetSecretValue on the secret', () => {
    const statements = roleStatements(scram.template, ENRICH);
    assert.ok(granted(statements, 'kafka:ListScramSecrets', MSK_CLUSTER_ARN));
    assert.ok(granted(statements, 'secretsmanager:GetSecretValue', MSK_SCRAM_SECRET));
    assert.ok(!granted(roleStatements(iam.template, ENRICH), 'kafka:ListScramSecrets'), 'IAM auth uses no secret');
  });

  test('optional, customer managed key: kms:Decrypt on the key the environment names, through Secrets Manager', () => {
    const decrypt = roleStatements(scramCmk.template, ENRICH).filter((s) => actionsOf([s]).includes('kms:Decrypt'));
    assert.deepEqual(
      decrypt.map((s) => s.Resource),
      [KMS_KEY],
    );
    assert.deepEqual(decrypt[0]!.Condition, {
      StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
    });
    assert.ok(!granted(roleStatements(scram.template, ENRICH), 'kms:Decrypt'), 'no key named: no kms:Decrypt');
  });

  test(`on-failure destination, Kafka topic: Connect, DescribeTopic and WriteData on it (${KAFKA_DESTINATION_PAGE})`, () => {
    const statements = roleStatements(iam.template, ENRICH);
    const topic = `${MSK_CLUSTER_ARN.replace(':cluster/', ':topic/')}/eqiad.mw_page_content_change_enrich.on_failure`;
    assert.ok(granted(statements, 'kafka-cluster:Connect', MSK_CLUSTER_ARN));
    assert.ok(granted(statements, 'kafka-cluster:DescribeTopic', topic));
    assert.ok(granted(statements, 'kafka-cluster:WriteData', topic));
  });

  test('on-failure destination, SQS queue and S3 bucket: sqs:SendMessage; s3:PutObject and s3:ListBucket', () => {
    const sqs = roleStatements(synth('example-msk-iam', { onFailureDestination: 'sqs' }).template, ENRICH);
    assert.ok(granted(sqs, 'sqs:SendMessage'));
    const s3 = roleStatements(synth('example-msk-iam', { onFailureDestination: 's3' }).template, ENRICH);
    assert.ok(granted(s3, 's3:PutObject') && granted(s3, 's3:ListBucket'));
  });
});

describe(`self-managed Kafka execution role, row by row: ${SELF_MANAGED_PAGE}`, () => {
  const example = synth('example-self-managed-scram');
  const statements = roleStatements(example.template, ENRICH);

  test('CloudWatch Logs: logs:CreateLogStream and logs:PutLogEvents on its own log group', () => {
    const logs = statements.filter((s) => s.Sid === 'WriteOwnLogs');
    assert.deepEqual(actionsOf(logs), ['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  test('Secrets Manager: secretsmanager:GetSecretValue on the SCRAM and root CA secrets, nothing else', () => {
    const secrets = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('secretsmanager:')));
    assert.deepEqual(actionsOf(secrets), ['secretsmanager:GetSecretValue']);
    assert.deepEqual(asArray(secrets[0]!.Resource).sort(), [ROOT_CA_SECRET_ARN, SCRAM_SECRET_ARN].sort());
  });

  test('AWS KMS: kms:Decrypt only on a customer managed key the environment names', () => {
    assert.ok(!granted(statements, 'kms:Decrypt'));
    const withKey = roleStatements(
      synth('example-self-managed-scram', { kafkaSecretKmsKeyArn: KMS_KEY }).template,
      ENRICH,
    );
    assert.ok(granted(withKey, 'kms:Decrypt', KMS_KEY));
  });

  test('VPC: the six network interface actions in a VPC, none over the internet', () => {
    const eni = statements.filter((s) => s.Sid === 'VpcNetworkInterfaces');
    for (const action of VPC_ACTIONS) assert.ok(actionsOf(eni).includes(action), action);
    const internet = synthVariant('example-self-managed-scram', {
      vpcId: undefined,
      subnetIds: undefined,
      availabilityZones: undefined,
    });
    assert.ok(!actionsOf(roleStatements(internet.template, ENRICH)).some((a) => a.startsWith('ec2:')));
  });

  test('destinations: a Kafka topic on a self-managed cluster is written with the mapping credentials, no IAM', () => {
    assert.ok(!actionsOf(statements).some((a) => a.startsWith('kafka-cluster:') || a.startsWith('kafka:')));
  });
});

/** The Required actions column of the action table. */
const REQUIRED: Record<string, readonly string[]> = {
  Connect: [],
  DescribeCluster: ['Connect'],
  AlterCluster: ['Connect', 'DescribeCluster'],
  DescribeClusterDynamicConfiguration: ['Connect'],
  AlterClusterDynamicConfiguration: ['Connect', 'DescribeClusterDynamicConfiguration'],
  WriteDataIdempotently: ['Connect', 'WriteData'],
  CreateTopic: ['Connect'],
  DescribeTopic: ['Connect'],
  AlterTopic: ['Connect', 'DescribeTopic'],
  DeleteTopic: ['Connect', 'DescribeTopic'],
  DescribeTopicDynamicConfiguration: ['Connect'],
  AlterTopicDynamicConfiguration: ['Connect', 'DescribeTopicDynamicConfiguration'],
  ReadData: ['Connect', 'DescribeTopic', 'AlterGroup'],
  WriteData: ['Connect', 'DescribeTopic'],
  DescribeGroup: ['Connect'],
  AlterGroup: ['Connect', 'DescribeGroup'],
  DeleteGroup: ['Connect', 'DescribeGroup'],
  DescribeTransactionalId: ['Connect'],
  AlterTransactionalId: ['Connect', 'DescribeTransactionalId', 'WriteData'],
};
/** The resource type of an ARN (`cluster`, `topic`, `group`, `transactional-id`). */
const kindOf = (arn: unknown) => /:kafka:[^:]+:\d+:([a-z-]+)\//.exec(String(arn))?.[1];

describe(`MSK IAM action table, row by row: ${ACTION_TABLE_PAGE}`, () => {
  // Every role that uses kafka-cluster actions: the function (and its mapping), the redrive function and the topic
  // provisioner, with topic deletion allowed so that DeleteTopic is granted too.
  const s = synth('example-msk-iam', { redriveFunction: 'true', topicRemovalPolicy: 'destroy' });
  const byRole = roles(s.template).map((role) => ({ role, grants: grants(roleStatements(s.template, role)) }));
  const dataPlane = (g: { action: string }) => g.action.startsWith('kafka-cluster:');
  test('the synthesized roles use kafka-cluster actions (a guard against a table that checks nothing)', () => {
    assert.ok(byRole.filter((r) => r.grants.some(dataPlane)).length >= 3);
  });

  for (const [action, required] of Object.entries(REQUIRED)) {
    test(`kafka-cluster:${action} comes with ${required.map((r) => `kafka-cluster:${r}`).join(', ') || 'nothing'}`, () => {
      for (const { role, grants: roleGrants } of byRole) {
        for (const grant of roleGrants.filter((g) => g.action === `kafka-cluster:${action}`)) {
          for (const need of required) {
            // The same resource when the required action is on the same kind of resource (WriteData needs
            // DescribeTopic on that topic); otherwise any resource of its kind (ReadData needs AlterGroup on a group).
            const ok = roleGrants.some(
              (g) =>
                g.action === `kafka-cluster:${need}` &&
                (kindOf(g.resource) !== kindOf(grant.resource) ||
                  JSON.stringify(g.resource) === JSON.stringify(grant.resource)),
            );
            assert.ok(ok, `${role}: kafka-cluster:${action} on ${JSON.stringify(grant.resource)} without ${need}`);
          }
        }
      }
    });
  }
});
