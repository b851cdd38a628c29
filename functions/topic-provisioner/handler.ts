/**
 * onEvent handler of the Kafka topic provisioner custom resource (CDK `Provider` framework).
 *
 * One custom resource per topic. Resource properties (CloudFormation passes them as strings):
 * - `TopicName`: full topic name
 * - `NumPartitions`, `ReplicationFactor`
 * - `Configs`: topic configs, e.g. `{ "retention.ms": "604800000", "max.message.bytes": "10485760" }`
 * - `RemovalPolicy`: `retain` (default) | `destroy-if-empty` | `destroy`
 *
 * Behaviour:
 * - Create: create the topic if missing; an existing topic is adopted as is.
 * - Update: create if missing, increase partitions (never decrease), set the managed configs while
 *   keeping the topic's other dynamic configs (AlterConfigs is not incremental).
 * - Delete: never deletes unless `RemovalPolicy` says so; `destroy-if-empty` only deletes a topic
 *   whose partitions hold no record.
 *
 * Connection: the enrichment function's Kafka client configuration (`lib/kafka/kafka-client.ts`, the same
 * environment variables, set by `kafkaClientEnvironment` in infra/constructs/kafka-connection.ts).
 */
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import { createKafka, kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.js';

/** `ConfigResourceTypes.TOPIC` (kafkajs is CommonJS; its enum is not an importable ESM named export under Node). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** Subset of the CloudFormation custom resource event the Provider framework passes to onEvent. */
export interface TopicResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** Response to the Provider framework. */
export interface TopicResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string | number | boolean>;
}

/** Desired state of one topic. */
export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs: Record<string, string>;
  readonly removalPolicy: 'retain' | 'destroy-if-empty' | 'destroy';
}

/** The kafkajs admin operations the provisioner uses (narrowed for testing). */
export type TopicAdmin = Pick<
  Admin,
  | 'connect'
  | 'disconnect'
  | 'createTopics'
  | 'fetchTopicMetadata'
  | 'createPartitions'
  | 'describeConfigs'
  | 'alterConfigs'
  | 'fetchTopicOffsets'
  | 'deleteTopics'
>;

const log = (message: string, extra: Record<string, unknown> = {}): void => {
  console.log(JSON.stringify({ level: 'INFO', message, ...extra }));
};

/** Parses and validates the resource properties. */
export function parseSpec(props: Record<string, unknown>): TopicSpec {
  const topic = String(props.TopicName ?? '');
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new Error(`invalid TopicName '${topic}'`);
  const int = (key: string): number => {
    const n = Number(props[key]);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${key} must be a positive integer, got '${String(props[key])}'`);
    return n;
  };
  const rawConfigs = (props.Configs ?? {}) as Record<string, unknown>;
  const configs = Object.fromEntries(Object.entries(rawConfigs).map(([k, v]) => [k, String(v)]));
  const removalPolicy = String(props.RemovalPolicy ?? 'retain');
  if (removalPolicy !== 'retain' && removalPolicy !== 'destroy-if-empty' && removalPolicy !== 'destroy') {
    throw new Error(`invalid RemovalPolicy '${removalPolicy}'`);
  }
  return {
    topic,
    numPartitions: int('NumPartitions'),
    replicationFactor: int('ReplicationFactor'),
    configs,
    removalPolicy,
  };
}

async function currentPartitionCount(admin: TopicAdmin, topic: string): Promise<number> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
}

/** Creates the topic if missing; on update also reconciles partitions and configs. */
export async function ensureTopic(
  admin: TopicAdmin,
  spec: TopicSpec,
  reconcile: boolean,
): Promise<{ created: boolean; partitions: number }> {
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: spec.topic,
        numPartitions: spec.numPartitions,
        replicationFactor: spec.replicationFactor,
        configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  if (created) {
    log('created topic', { topic: spec.topic, partitions: spec.numPartitions });
    return { created, partitions: spec.numPartitions };
  }
  let partitions = await currentPartitionCount(admin, spec.topic);
  if (!reconcile) {
    log('topic exists, adopted as is', { topic: spec.topic, partitions });
    return { created, partitions };
  }
  if (spec.numPartitions > partitions) {
    await admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: spec.numPartitions }] });
    log('increased partitions', { topic: spec.topic, from: partitions, to: spec.numPartitions });
    partitions = spec.numPartitions;
  } else if (spec.numPartitions < partitions) {
    log('partition count can only grow; keeping the current count', {
      topic: spec.topic,
      partitions,
      requested: spec.numPartitions,
    });
  }
  if (Object.keys(spec.configs).length > 0) {
    // AlterConfigs replaces all dynamic topic configs: keep the ones set outside this resource.
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC_RESOURCE, name: spec.topic }],
    });
    const existing = described.resources[0]?.configEntries ?? [];
    const merged = new Map<string, string>();
    for (const entry of existing) {
      if (!entry.isDefault && !entry.readOnly && !entry.isSensitive && entry.configValue !== null)
        merged.set(entry.configName, entry.configValue);
    }
    let changed = false;
    for (const [name, value] of Object.entries(spec.configs)) {
      if (merged.get(name) !== value) changed = true;
      merged.set(name, value);
    }
    if (changed) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: spec.topic,
            configEntries: [...merged].map(([name, value]) => ({ name, value })),
          },
        ],
      });
      log('updated topic configs', { topic: spec.topic, configs: spec.configs });
    }
  }
  return { created, partitions };
}

/** Whether every partition of the topic is empty (low watermark == high watermark). */
export async function topicIsEmpty(admin: TopicAdmin, topic: string): Promise<boolean> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.every((p) => BigInt(p.high) === BigInt(p.low));
}

/** Applies the removal policy; returns what was done. */
export async function removeTopic(
  admin: TopicAdmin,
  spec: TopicSpec,
): Promise<'retained' | 'deleted' | 'retained-not-empty' | 'missing'> {
  if (spec.removalPolicy === 'retain') {
    log('removal policy retain: topic kept', { topic: spec.topic });
    return 'retained';
  }
  if ((await currentPartitionCount(admin, spec.topic).catch(() => 0)) === 0) return 'missing';
  if (spec.removalPolicy === 'destroy-if-empty' && !(await topicIsEmpty(admin, spec.topic))) {
    log('removal policy destroy-if-empty: topic holds records, kept', { topic: spec.topic });
    return 'retained-not-empty';
  }
  await admin.deleteTopics({ topics: [spec.topic] });
  log('deleted topic', { topic: spec.topic, removalPolicy: spec.removalPolicy });
  return 'deleted';
}

/**
 * Handles one custom resource event. The admin client is created lazily, so that deleting a retained
 * topic never needs to reach the brokers (a stack delete cannot hang on an unreachable cluster).
 */
export async function handleEvent(
  event: TopicResourceEvent,
  createAdmin: () => Promise<TopicAdmin>,
): Promise<TopicResourceResponse> {
  const spec = parseSpec(event.ResourceProperties);
  if (event.RequestType === 'Delete' && spec.removalPolicy === 'retain') {
    const physicalId = event.PhysicalResourceId ?? spec.topic;
    log('removal policy retain: topic kept', { topic: physicalId });
    return { PhysicalResourceId: physicalId, Data: { TopicName: physicalId, Outcome: 'retained' } };
  }
  const admin = await createAdmin();
  await admin.connect();
  try {
    switch (event.RequestType) {
      case 'Create': {
        const { created, partitions } = await ensureTopic(admin, spec, false);
        return {
          PhysicalResourceId: spec.topic,
          Data: { TopicName: spec.topic, Created: created, Partitions: partitions },
        };
      }
      case 'Update': {
        // A new topic name yields a new physical id: CloudFormation then sends Delete for the old
        // one, which honours its removal policy.
        const { created, partitions } = await ensureTopic(admin, spec, true);
        return {
          PhysicalResourceId: spec.topic,
          Data: { TopicName: spec.topic, Created: created, Partitions: partitions },
        };
      }
      case 'Delete': {
        const physicalId = event.PhysicalResourceId ?? spec.topic;
        // Only ever act on the topic this resource owns (its physical id).
        const outcome = await removeTopic(admin, { ...spec, topic: physicalId });
        return { PhysicalResourceId: physicalId, Data: { TopicName: physicalId, Outcome: outcome } };
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Lambda entry point. */
export async function handler(event: TopicResourceEvent): Promise<TopicResourceResponse> {
  log('event', {
    requestType: event.RequestType,
    physicalResourceId: event.PhysicalResourceId,
    properties: event.ResourceProperties,
  });
  return handleEvent(event, async () => (await createKafka(kafkaConnectionConfigFromEnv(process.env))).admin());
}
