/**
 * The execution roles against AWS's tables, one test per row: the MSK execution-role page, the self-managed
 * execution-role page, and the Amazon MSK IAM action table (every granted `kafka-cluster` action comes with the
 * actions the table requires for it). Each test names its page.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { MSK_SCRAM_KEY_PAGE } from '../../infra/config/kafka-cluster-config.ts';
import {
  asArray,
  MSK_CLUSTER_ARN,
  roleStatements,
  runCdkApp,
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
  const scram = synth('example-msk-scram');

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
    // Only one of the two for the poller; kafka:DescribeCluster comes with a Kafka on-failure destination (below).
    const sqs = roleStatements(synth('example-msk-iam', { onFailureDestination: 'sqs' }).template, ENRICH);
    assert.ok(!granted(sqs, 'kafka:DescribeCluster'), 'only one of DescribeCluster and DescribeClusterV2');
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
    assert.ok(granted(statements, 'secretsmanager:GetSecretValue', scram.config.kafkaSecretArn));
    assert.ok(!granted(roleStatements(iam.template, ENRICH), 'kafka:ListScramSecrets'), 'IAM auth uses no secret');
  });

  test('optional, customer managed key: kms:Decrypt on the key the environment names, through Secrets Manager', () => {
    for (const role of roles(scram.template).filter((r) => roleStatements(scram.template, r).length > 0)) {
      const statements = roleStatements(scram.template, role);
      if (!granted(statements, 'secretsmanager:GetSecretValue')) continue;
      const decrypt = statements.filter((s) => actionsOf([s]).includes('kms:Decrypt'));
      assert.deepEqual(
        decrypt.map((s) => s.Resource),
        [scram.config.kafkaSecretKmsKeyArn],
        `${role}: reads the secret, so decrypts it with its key`,
      );
      assert.deepEqual(decrypt[0]!.Condition, {
        StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
      });
    }
    assert.ok(!granted(roleStatements(iam.template, ENRICH), 'kms:Decrypt'), 'IAM auth: no secret, no key');
  });

  test(`MSK SASL/SCRAM needs the customer managed key: without kafkaSecretKmsKeyArn synth exits 2 naming ${MSK_SCRAM_KEY_PAGE}`, () => {
    // The AWS managed key cannot encrypt an MSK SCRAM secret, so without the key named the role could read the
    // secret but never decrypt it.
    const context = { env: 'example-msk-scram', kafkaSecretKmsKeyArn: '' };
    const run = runCdkApp(context);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^Configuration error: kafkaSecretKmsKeyArn is required with MSK SASL\/SCRAM/);
    assert.ok(run.stderr.includes('https://docs.aws.amazon.com/msk/latest/developerguide/msk-password-tutorial.html'));
    const iamWithoutKey = { kafkaAuth: 'iam', kafkaSecretArn: undefined, kafkaSecretKmsKeyArn: undefined };
    assert.equal(synthVariant('example-msk-scram', iamWithoutKey).config.kafkaAuth, 'iam', 'only SCRAM needs the key');
  });

  // On-failure destination, Kafka topic: its own page's example policy, row by row, below.

  test('on-failure destination, SQS queue and S3 bucket: sqs:SendMessage; s3:PutObject and s3:ListBucket', () => {
    const sqs = roleStatements(synth('example-msk-iam', { onFailureDestination: 'sqs' }).template, ENRICH);
    assert.ok(granted(sqs, 'sqs:SendMessage'));
    const s3 = roleStatements(synth('example-msk-iam', { onFailureDestination: 's3' }).template, ENRICH);
    assert.ok(granted(s3, 's3:PutObject') && granted(s3, 's3:ListBucket'));
  });
});

describe(`Kafka on-failure destination producer, the example policy row by row: ${KAFKA_DESTINATION_PAGE}`, () => {
  // The event source mapping writes the destination topic with the function's role (MSK IAM access control).
  const statements = roleStatements(synth('example-msk-iam').template, ENRICH);
  const onFailureTopic = `${MSK_CLUSTER_ARN.replace(':cluster/', ':topic/')}/eqiad.mw_page_content_change_enrich.on_failure`;

  test('ClusterPermissions: kafka-cluster:Connect and kafka-cluster:DescribeCluster on the cluster', () => {
    assert.ok(granted(statements, 'kafka-cluster:Connect', MSK_CLUSTER_ARN));
    assert.ok(granted(statements, 'kafka-cluster:DescribeCluster', MSK_CLUSTER_ARN));
    // Narrower, and safe: the example's DescribeTopic, WriteData and ReadData on a cluster ARN authorize nothing,
    // their required resource is a topic (${ACTION_TABLE_PAGE}).
    for (const action of ['DescribeTopic', 'WriteData', 'ReadData']) {
      assert.ok(!granted(statements, `kafka-cluster:${action}`, MSK_CLUSTER_ARN), action);
    }
  });

  test('TopicPermissions: kafka-cluster:DescribeTopic and kafka-cluster:WriteData on the on-failure topic', () => {
    assert.ok(granted(statements, 'kafka-cluster:DescribeTopic', onFailureTopic));
    assert.ok(granted(statements, 'kafka-cluster:WriteData', onFailureTopic));
    // Narrower, and safe: no ReadData. Producing needs Connect, DescribeTopic and WriteData ("Common use cases for
    // client authorization policy", https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control-use-cases.html).
    assert.ok(!granted(statements, 'kafka-cluster:ReadData', onFailureTopic));
  });

  test('kafka:DescribeCluster and kafka:GetBootstrapBrokers on the cluster; kafka:Produce is no IAM action', () => {
    assert.ok(granted(statements, 'kafka:DescribeCluster', MSK_CLUSTER_ARN));
    assert.ok(granted(statements, 'kafka:GetBootstrapBrokers', MSK_CLUSTER_ARN));
    // The Service Authorization Reference ("Actions, resources, and condition keys for Amazon Managed Streaming for
    // Apache Kafka") defines no kafka:Produce; a policy naming it grants nothing.
    assert.ok(!granted(statements, 'kafka:Produce'));
  });

  test('EC2: the five network interface actions of the example (the role has them for the pollers)', () => {
    const eni = actionsOf(statements.filter((s) => s.Sid === 'VpcNetworkInterfaces'));
    const example = [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
    ];
    for (const action of example) assert.ok(eni.includes(action), action);
  });

  test("resources: the example's wildcards narrowed to this cluster, safe as the destination must be in it", () => {
    // "Same cluster requirement": the destination topic is in the source topics' cluster.
    const kafka = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('kafka')));
    for (const resource of kafka.flatMap((s) => asArray(s.Resource))) {
      assert.ok(String(resource).includes('wiki-events/abcd1234-abcd-cafe-abab-9876543210ab-4'), String(resource));
    }
  });

  test('no Kafka on-failure destination, no producer rights: an SQS destination drops them', () => {
    const sqs = roleStatements(synth('example-msk-iam', { onFailureDestination: 'sqs' }).template, ENRICH);
    assert.ok(!granted(sqs, 'kafka-cluster:DescribeCluster'));
    assert.ok(!granted(sqs, 'kafka-cluster:WriteData', onFailureTopic));
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
