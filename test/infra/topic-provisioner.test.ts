/** Topic provisioner onEvent logic against an in-memory kafkajs admin. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  handleEvent,
  parseSpec,
  type TopicAdmin,
  type TopicResourceEvent,
} from '../../functions/topic-provisioner/handler.ts';

interface FakeTopic {
  partitions: number;
  configs: Map<string, string>;
  records: number;
}

function fakeAdmin(initial: Record<string, FakeTopic> = {}) {
  const topics = new Map(Object.entries(initial));
  const calls: string[] = [];
  let connected = 0;
  const admin = {
    connect: async () => void connected++,
    disconnect: async () => void connected--,
    createTopics: async ({
      topics: specs,
    }: {
      topics: Array<{ topic: string; numPartitions?: number; configEntries?: Array<{ name: string; value: string }> }>;
    }) => {
      calls.push('createTopics');
      const spec = specs[0]!;
      if (topics.has(spec.topic)) return false;
      topics.set(spec.topic, {
        partitions: spec.numPartitions ?? 1,
        configs: new Map((spec.configEntries ?? []).map((c) => [c.name, c.value])),
        records: 0,
      });
      return true;
    },
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => {
      const t = topics.get(names[0]!);
      if (!t) throw new Error('UNKNOWN_TOPIC_OR_PARTITION');
      return {
        topics: [{ name: names[0]!, partitions: Array.from({ length: t.partitions }, (_, i) => ({ partitionId: i })) }],
      };
    },
    createPartitions: async ({ topicPartitions }: { topicPartitions: Array<{ topic: string; count: number }> }) => {
      calls.push('createPartitions');
      topics.get(topicPartitions[0]!.topic)!.partitions = topicPartitions[0]!.count;
    },
    describeConfigs: async ({ resources }: { resources: Array<{ name: string }> }) => ({
      resources: [
        {
          configEntries: [...topics.get(resources[0]!.name)!.configs].map(([configName, configValue]) => ({
            configName,
            configValue,
            isDefault: false,
            readOnly: false,
            isSensitive: false,
          })),
        },
      ],
    }),
    alterConfigs: async ({
      resources,
    }: {
      resources: Array<{ name: string; configEntries: Array<{ name: string; value: string }> }>;
    }) => {
      calls.push('alterConfigs');
      topics.get(resources[0]!.name)!.configs = new Map(resources[0]!.configEntries.map((c) => [c.name, c.value]));
    },
    fetchTopicOffsets: async (name: string) => {
      const t = topics.get(name)!;
      return Array.from({ length: t.partitions }, (_, i) => ({
        partition: i,
        offset: '0',
        low: '0',
        high: i === 0 ? String(t.records) : '0',
      }));
    },
    deleteTopics: async ({ topics: names }: { topics: string[] }) => {
      calls.push('deleteTopics');
      for (const n of names) topics.delete(n);
    },
  };
  return { admin: admin as unknown as TopicAdmin, topics, calls, connected: () => connected };
}

const props = (over: Record<string, unknown> = {}) => ({
  TopicName: 'eqiad.mw_page_content_change_enrich.error',
  NumPartitions: '3',
  ReplicationFactor: '3',
  Configs: { 'retention.ms': '604800000', 'max.message.bytes': '10485760' },
  RemovalPolicy: 'retain',
  ...over,
});
const event = (
  RequestType: TopicResourceEvent['RequestType'],
  over: Record<string, unknown> = {},
  physicalId?: string,
): TopicResourceEvent => ({
  RequestType,
  ResourceProperties: props(over),
  PhysicalResourceId: physicalId,
});

describe('topic provisioner', () => {
  test('parses CloudFormation string properties', () => {
    const spec = parseSpec(props());
    assert.equal(spec.numPartitions, 3);
    assert.equal(spec.replicationFactor, 3);
    assert.throws(() => parseSpec(props({ TopicName: 'bad name' })), /invalid TopicName/);
    assert.throws(() => parseSpec(props({ RemovalPolicy: 'maybe' })), /invalid RemovalPolicy/);
  });

  test('Create makes a missing topic with its configs', async () => {
    const f = fakeAdmin();
    const out = await handleEvent(event('Create'), async () => f.admin);
    assert.equal(out.PhysicalResourceId, 'eqiad.mw_page_content_change_enrich.error');
    assert.equal(out.Data?.Created, true);
    const t = f.topics.get('eqiad.mw_page_content_change_enrich.error')!;
    assert.equal(t.partitions, 3);
    assert.equal(t.configs.get('max.message.bytes'), '10485760');
    assert.equal(f.connected(), 0, 'disconnected');
  });

  test('Create adopts an existing topic without altering it', async () => {
    const f = fakeAdmin({
      'eqiad.mw_page_content_change_enrich.error': {
        partitions: 6,
        configs: new Map([['retention.ms', '1']]),
        records: 10,
      },
    });
    const out = await handleEvent(event('Create'), async () => f.admin);
    assert.equal(out.Data?.Created, false);
    assert.equal(out.Data?.Partitions, 6);
    assert.deepEqual(f.calls, ['createTopics']);
  });

  test('Update grows partitions (never shrinks) and merges configs', async () => {
    const f = fakeAdmin({
      'eqiad.mw_page_content_change_enrich.error': {
        partitions: 1,
        configs: new Map([
          ['cleanup.policy', 'delete'],
          ['retention.ms', '1'],
        ]),
        records: 0,
      },
    });
    await handleEvent(event('Update', { NumPartitions: '4' }), async () => f.admin);
    const t = f.topics.get('eqiad.mw_page_content_change_enrich.error')!;
    assert.equal(t.partitions, 4);
    assert.equal(t.configs.get('retention.ms'), '604800000');
    assert.equal(t.configs.get('cleanup.policy'), 'delete', 'configs set elsewhere are kept');
    await handleEvent(event('Update', { NumPartitions: '2' }), async () => f.admin);
    assert.equal(t.partitions, 4);
  });

  test('Delete with retain never touches the cluster', async () => {
    const f = fakeAdmin({
      'eqiad.mw_page_content_change_enrich.error': { partitions: 1, configs: new Map(), records: 5 },
    });
    let created = false;
    const out = await handleEvent(event('Delete', {}, 'eqiad.mw_page_content_change_enrich.error'), async () => {
      created = true;
      return f.admin;
    });
    assert.equal(out.Data?.Outcome, 'retained');
    assert.equal(created, false);
    assert.ok(f.topics.has('eqiad.mw_page_content_change_enrich.error'));
  });

  test('Delete with destroy-if-empty keeps a topic holding records and deletes an empty one', async () => {
    const f = fakeAdmin({
      'eqiad.mw_page_content_change_enrich.error': { partitions: 2, configs: new Map(), records: 5 },
    });
    const kept = await handleEvent(
      event('Delete', { RemovalPolicy: 'destroy-if-empty' }, 'eqiad.mw_page_content_change_enrich.error'),
      async () => f.admin,
    );
    assert.equal(kept.Data?.Outcome, 'retained-not-empty');
    assert.ok(f.topics.has('eqiad.mw_page_content_change_enrich.error'));
    f.topics.get('eqiad.mw_page_content_change_enrich.error')!.records = 0;
    const deleted = await handleEvent(
      event('Delete', { RemovalPolicy: 'destroy-if-empty' }, 'eqiad.mw_page_content_change_enrich.error'),
      async () => f.admin,
    );
    assert.equal(deleted.Data?.Outcome, 'deleted');
    assert.ok(!f.topics.has('eqiad.mw_page_content_change_enrich.error'));
  });

  test('Delete with destroy deletes only the physical id it owns', async () => {
    const f = fakeAdmin({
      old: { partitions: 1, configs: new Map(), records: 5 },
      'eqiad.mw_page_content_change_enrich.error': { partitions: 1, configs: new Map(), records: 0 },
    });
    await handleEvent(event('Delete', { RemovalPolicy: 'destroy' }, 'old'), async () => f.admin);
    assert.ok(!f.topics.has('old'));
    assert.ok(f.topics.has('eqiad.mw_page_content_change_enrich.error'));
  });
});
