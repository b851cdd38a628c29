/**
 * The Kafka ACLs `npm run synth` prints for SASL/SCRAM and mTLS, against "Troubleshooting Kafka event source mapping
 * errors" (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-troubleshoot.html: DescribeConfigs on the cluster,
 * Describe and Read on the group and the topic) and against the names the synthesized stack really uses; and
 * docs/deploy.md shows what synth prints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { kafkaAclCommands } from '../../infra/stack/kafka-acls.ts';
import { pipelineTopics } from '../../infra/stack/topics.ts';
import { randomUUID } from 'node:crypto';
import {
  enrichFunction,
  eventSourceMapping,
  INGEST,
  inlineIngest,
  ROOT,
  runCdkApp,
  type Synth,
  synth,
} from './helpers.ts';

const aclsOf = (s: Synth) =>
  kafkaAclCommands({
    config: s.config,
    topics: pipelineTopics(s.config),
    consumerGroupId: s.stack.eventSource.consumerGroupId,
  });

/** One `kafka-acls.sh --add` line, parsed. */
interface Acl {
  operations: string[];
  cluster: boolean;
  topics: string[];
  groups: string[];
  transactionalIds: string[];
  prefixed: boolean;
}
function parse(text: string): Acl[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('kafka-acls.sh '))
    .map((line) => {
      assert.match(line, /--add --allow-principal "\$PRINCIPAL"/);
      const all = (re: RegExp) => [...line.matchAll(re)].map((m) => m[1]!);
      return {
        operations: all(/--operation (\w+)/g),
        cluster: / --cluster( |$)/.test(line),
        topics: all(/--topic '([^']+)'/g),
        groups: all(/--group '([^']+)'/g),
        transactionalIds: all(/--transactional-id '([^']+)'/g),
        prefixed: line.includes('--resource-pattern-type prefixed'),
      };
    });
}
const allows = (
  acls: Acl[],
  operations: string[],
  on: { cluster?: true; topic?: string; group?: string; transactionalId?: string },
) =>
  acls.some(
    (a) =>
      operations.every((op) => a.operations.includes(op)) &&
      (on.cluster ? a.cluster : true) &&
      (on.topic ? a.topics.includes(on.topic) : true) &&
      (on.group ? a.groups.includes(on.group) : true) &&
      (on.transactionalId ? a.transactionalIds.includes(on.transactionalId) : true),
  );
/** Whether a prefixed group ACL with `operations` matches the group name `group`. */
const allowsGroupByPrefix = (acls: Acl[], operations: string[], group: string) =>
  acls.some(
    (a) =>
      a.prefixed &&
      operations.every((op) => a.operations.includes(op)) &&
      a.groups.some((prefix) => group.startsWith(prefix)),
  );

const MODES: Array<[string, string, Record<string, unknown>]> = [
  ['MSK SASL/SCRAM', 'example-msk-scram', {}],
  ['self-managed SASL/SCRAM', 'example-self-managed-scram', { redriveFunction: 'true', provisionTopics: 'true' }],
  [
    'self-managed mTLS',
    'example-self-managed-scram',
    { kafkaAuth: 'tls', kafkaBootstrapServers: 'kafka-1.example.internal:9094' },
  ],
];

describe('Kafka ACLs for SASL/SCRAM and mTLS, with the stack\'s names ("Troubleshooting Kafka event source mapping errors")', () => {
  for (const [mode, env, overrides] of MODES) {
    test(`${mode}: DescribeConfigs on the cluster, Describe and Read on the mapping's group and input topic`, () => {
      const s = synth(env, overrides);
      const acls = parse(aclsOf(s));
      const esm = eventSourceMapping(s.template);
      const group = (esm.AmazonManagedKafkaEventSourceConfig ?? esm.SelfManagedKafkaEventSourceConfig).ConsumerGroupId;
      assert.ok(allows(acls, ['DescribeConfigs'], { cluster: true }));
      assert.ok(allows(acls, ['Describe', 'Read'], { group }), group);
      for (const topic of esm.Topics) assert.ok(allows(acls, ['Describe', 'Read'], { topic }), topic);
    });

    test(`${mode}: Describe and Write on the function's output and error topics and the mapping's on-failure topic`, () => {
      const s = synth(env, overrides);
      const acls = parse(aclsOf(s));
      const fnEnv = enrichFunction(s.template).resource.Properties.Environment.Variables;
      const onFailure = String(eventSourceMapping(s.template).DestinationConfig.OnFailure.Destination);
      assert.match(onFailure, /^kafka:\/\//);
      for (const topic of [
        `${fnEnv.KAFKA_TOPIC_PREFIX}${fnEnv.OUTPUT_TOPIC}`,
        `${fnEnv.KAFKA_TOPIC_PREFIX}${fnEnv.ERROR_TOPIC}`,
        onFailure.slice('kafka://'.length),
      ]) {
        assert.ok(allows(acls, ['Describe', 'Write'], { topic }), topic);
      }
    });
  }

  test('the redrive function: its group prefix (prefixed pattern), the topics it reads, the input topic it writes', () => {
    const s = synth('example-msk-scram');
    const acls = parse(aclsOf(s));
    const redrive = Object.entries(s.template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('RedriveFunction'),
    )![1].Properties.Environment.Variables;
    const prefix = s.config.kafkaTopicPrefix;
    const grantGroup = acls.find((a) => a.groups.includes(redrive.REDRIVE_GROUP_PREFIX))!;
    assert.ok(grantGroup.prefixed && ['Describe', 'Read'].every((op) => grantGroup.operations.includes(op)));
    for (const topic of [redrive.ERROR_TOPIC, redrive.ON_FAILURE_TOPIC]) {
      assert.ok(allows(acls, ['Describe', 'Read'], { topic: `${prefix}${topic}` }), topic);
    }
    assert.ok(allows(acls, ['Describe', 'Write'], { topic: `${prefix}${redrive.INPUT_TOPIC}` }));
  });

  test('the topic provisioner: Create on the cluster; Describe, Alter, configs (and Delete if it may) on its topics', () => {
    for (const [removal, deletes] of [
      ['retain', false],
      ['destroy', true],
    ] as const) {
      const s = synth('example-msk-scram', { topicRemovalPolicy: removal });
      const acls = parse(aclsOf(s));
      assert.ok(allows(acls, ['Create'], { cluster: true }));
      const provisioned = Object.values(s.template.findResources('Custom::KafkaTopic')).map(
        (r) => r.Properties.TopicName as string,
      );
      assert.equal(provisioned.length, 3);
      for (const topic of provisioned) {
        assert.ok(allows(acls, ['Describe', 'Alter', 'DescribeConfigs', 'AlterConfigs'], { topic }), topic);
        assert.equal(allows(acls, ['Delete'], { topic }), deletes, `${removal}: ${topic}`);
      }
    }
    const none = parse(aclsOf(synth('example-self-managed-scram')));
    assert.ok(!allows(none, ['Create'], { cluster: true }), 'no provisioner, no Create');
  });

  for (const [mode, env, overrides] of MODES) {
    test(`${mode} with the ingest: its transactional id, the input topic it writes and reads back, its groups (Apache Kafka's "Operations and Resources on Protocols")`, () => {
      const s = synth(env, { ...overrides, ingest: INGEST }, inlineIngest);
      const acls = parse(aclsOf(s));
      const ingest = Object.entries(s.template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('EventStreamsIngest'),
      )![1].Properties.Environment.Variables;
      const transactionalId = ingest.INGEST_TRANSACTIONAL_ID;
      const input = `${ingest.KAFKA_TOPIC_PREFIX}${ingest.INPUT_TOPIC}`;
      // INIT_PRODUCER_ID, ADD_PARTITIONS_TO_TXN, END_TXN, PRODUCE: Write; FIND_COORDINATOR: Describe.
      assert.ok(allows(acls, ['Describe', 'Write'], { transactionalId }), transactionalId);
      // PRODUCE: Write; METADATA, LIST_OFFSETS: Describe; FETCH of the read-back: Read.
      assert.ok(allows(acls, ['Describe', 'Write', 'Read'], { topic: input }), input);
      // The read-back's group, `<transactional id>.position.<uuid>` (lib/ingest/stored-position.ts), one per read.
      const group = `${transactionalId}.position.${randomUUID()}`;
      assert.ok(allowsGroupByPrefix(acls, ['Describe', 'Read'], group), group);
      assert.ok(!allowsGroupByPrefix(acls, ['Read'], `${transactionalId}.other`), 'only the position groups');
      // A transactional producer's id is authorized by its TransactionalId, not by IdempotentWrite on the cluster.
      assert.ok(!allows(acls, ['IdempotentWrite'], { cluster: true }));
    });
  }

  test('without the ingest, no transactional id and no position groups', () => {
    for (const [, env, overrides] of MODES) {
      const acls = parse(aclsOf(synth(env, overrides)));
      assert.deepEqual(
        acls.flatMap((a) => a.transactionalIds),
        [],
      );
      assert.ok(!acls.some((a) => a.groups.some((g) => g.includes('.position'))));
    }
  });

  test('MSK IAM access control: no ACLs, IAM decides; the principal line names what the ACLs are for', () => {
    assert.match(aclsOf(synth('example-msk-iam')), /: none, MSK IAM access control decides/);
    assert.match(aclsOf(synth('example-msk-scram')), /PRINCIPAL='User:<principal>' # the username in .*AmazonMSK_/);
    const tls = synth('example-self-managed-scram', MODES[2]![2]);
    assert.match(aclsOf(tls), /# the subject of the client certificate in arn:aws:secretsmanager/);
  });
});

describe('synth prints the ACLs, and docs/deploy.md shows what it prints', () => {
  test('the CDK app writes the commands of the chosen environment to stderr (stdout keeps the template)', () => {
    const context = { env: 'example-msk-scram', 'aws:cdk:bundling-stacks': [] };
    const run = runCdkApp(context);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stderr.includes(aclsOf(synth('example-msk-scram'))), run.stderr);
    assert.doesNotMatch(run.stdout, /kafka-acls\.sh/);
  });

  test('each docs/deploy.md block marked kafka-acls is what synth prints for its environment', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
    const blocks = [...doc.matchAll(/<!-- kafka-acls: (\S+)((?: -c \S+=\S+)*) -->\n```sh\n([\s\S]*?)```/g)];
    assert.equal(blocks.length, MODES.length, 'one block per auth mode Kafka ACLs decide');
    for (const [, env, flags, body] of blocks) {
      const overrides = Object.fromEntries([...flags!.matchAll(/-c (\S+?)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
      assert.equal(body, aclsOf(synth(env!, overrides)), `${env}${flags}`);
    }
  });

  test("the docs/ingest.md block marked kafka-acls-excerpt is the ingest's part of what synth prints", () => {
    const doc = readFileSync(join(ROOT, 'docs', 'ingest.md'), 'utf8');
    const blocks = [...doc.matchAll(/<!-- kafka-acls-excerpt: (\S+)((?: -c \S+=\S+)*) -->\n```sh\n([\s\S]*?)```/g)];
    assert.equal(blocks.length, 1);
    const [, env, flags, body] = blocks[0]!;
    const overrides = Object.fromEntries([...flags!.matchAll(/-c (\S+?)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    assert.ok(overrides.ingest, 'the excerpt is of a stack with the ingest');
    assert.match(body!, /^# EventStreams ingest: .*\n(kafka-acls\.sh .*\n){3}$/);
    assert.ok(aclsOf(synth(env!, overrides, inlineIngest)).includes(body!), `${env}${flags}`);
  });
});
