/**
 * The Kafka ACLs a cluster owner must grant the stack's clients when Kafka ACLs, not IAM, decide what they may do:
 * SASL/SCRAM or mutual TLS, self-managed or on MSK. Printed by `npm run synth` for the chosen environment, as
 * `kafka-acls.sh` commands with the stack's real names (prefixed topics, the mapping's consumer group of this
 * generation, the redrive's group prefix); docs/deploy.md shows them for the examples (test/infra/kafka-acls.test.ts).
 *
 * AWS, "Troubleshooting Kafka event source mapping errors"
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-troubleshoot.html, "Cluster failed to authorize Lambda"):
 * with SASL/SCRAM or mTLS the mapping's user needs DescribeConfigs on the cluster, Describe and Read on the group and
 * on the topic. The mapping also writes its Kafka on-failure destination with the same credentials ("Using a Kafka
 * topic as an on-failure destination", https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html).
 * The rest follows from what the stack's own clients do: the function's producer writes the output and error topics;
 * the redrive function reads the error and on-failure topics in groups under its prefix and writes the input topic;
 * the topic provisioner creates topics, grows their partitions and merges their configs (and deletes them when the
 * removal policy says so); the EventStreams ingest (opt-in `ingest` key) writes the input topic with a transactional
 * producer and reads its position back from that topic's tail in groups under its prefix.
 *
 * Apache Kafka, "Operations and Resources on Protocols" (https://kafka.apache.org/documentation/#operations_resources_and_protocols)
 * for the ingest: a transactional producer needs Write on its TransactionalId (INIT_PRODUCER_ID, PRODUCE,
 * ADD_PARTITIONS_TO_TXN, END_TXN) and Describe on it (FIND_COORDINATOR of the transaction coordinator), and Write on
 * the topic (PRODUCE, ADD_PARTITIONS_TO_TXN); its producer id is authorized by the TransactionalId, so it needs no
 * IdempotentWrite on the cluster (that row is for idempotent producers without a transactional id). Its read-back
 * consumer needs Describe on the topic (METADATA, LIST_OFFSETS), Read on it (FETCH), and Describe and Read on its
 * group (FIND_COORDINATOR, JOIN_GROUP, SYNC_GROUP, HEARTBEAT, LEAVE_GROUP); each read's group name ends in a UUID,
 * hence a prefixed pattern.
 */
import type { ResolvedPipelineConfig } from '../config/config.ts';
import { redriveGroupPrefix } from './function-environment.ts';
import { ingestPositionGroupPrefix, ingestTransactionalId } from './ingest.ts';
import type { PipelineTopics } from './topics.ts';

/** What the ACLs are granted for besides the configuration. */
export interface KafkaAclInputs {
  readonly config: ResolvedPipelineConfig;
  readonly topics: PipelineTopics;
  /** The consumer group of the mapping's generation (`KafkaEventSource.consumerGroupId`). */
  readonly consumerGroupId: string;
}

/** One grant: operations on resources (`--cluster`, `--topic …`, `--group …`). */
interface Grant {
  readonly operations: readonly string[];
  readonly resource: readonly string[];
}

const quote = (name: string): string => `'${name}'`;
const topicArgs = (topics: readonly string[]): string[] => topics.flatMap((t) => ['--topic', quote(t)]);

/** Who the ACLs are for, as a comment on the PRINCIPAL line. */
function principalHint(config: ResolvedPipelineConfig): string {
  return config.kafkaAuth === 'scram'
    ? `the username in ${config.kafkaSecretArn}`
    : `the subject of the client certificate in ${config.kafkaSecretArn ?? '(no client certificate)'}`;
}

/** Where kafka-acls.sh reaches the cluster, as a comment on the BOOTSTRAP line when it is not known at synth. */
function bootstrap(config: ResolvedPipelineConfig): string {
  if (config.kafkaClusterType === 'self-managed') return quote(config.kafkaBootstrapServers![0]!);
  return `"$(aws kafka get-bootstrap-brokers --cluster-arn ${config.mskClusterArn} --query BootstrapBrokerStringSaslScram --output text)"`;
}

/** The grants of each client of the stack, with a comment saying whose they are. */
function grants(inputs: KafkaAclInputs): Array<[string, Grant[]]> {
  const { config, topics, consumerGroupId } = inputs;
  const written = [topics.output, topics.error, ...(topics.onFailure ? [topics.onFailure] : [])];
  const out: Array<[string, Grant[]]> = [
    [
      `Event source mapping: reads ${topics.input} as group ${consumerGroupId} (generation of this deploy)`,
      [
        { operations: ['DescribeConfigs'], resource: ['--cluster'] },
        { operations: ['Describe', 'Read'], resource: ['--group', quote(consumerGroupId)] },
        { operations: ['Describe', 'Read'], resource: topicArgs([topics.input]) },
      ],
    ],
    [
      topics.onFailure
        ? 'Function: writes enriched and error events; the mapping writes its on-failure topic'
        : 'Function: writes enriched and error events',
      [{ operations: ['Describe', 'Write'], resource: topicArgs(written) }],
    ],
  ];
  // The producers are idempotent: Write on a topic covers that from Apache Kafka 2.8 (KIP-679); older brokers also
  // need IdempotentWrite on the cluster.
  if (config.redriveFunction) {
    const sources = [topics.error, ...(topics.onFailure ? [topics.onFailure] : [])];
    out.push([
      'Redrive function: reads error and on-failure records in its own groups, writes the input topic',
      [
        { operations: ['Describe', 'Read'], resource: topicArgs(sources) },
        {
          operations: ['Describe', 'Read'],
          resource: ['--resource-pattern-type', 'prefixed', '--group', quote(redriveGroupPrefix(config))],
        },
        { operations: ['Describe', 'Write'], resource: topicArgs([topics.input]) },
      ],
    ]);
  }
  if (config.ingest) {
    out.push([
      'EventStreams ingest: writes the input topic in transactions, reads its position back from it in its own groups',
      [
        { operations: ['Describe', 'Write'], resource: ['--transactional-id', quote(ingestTransactionalId(config))] },
        { operations: ['Describe', 'Write', 'Read'], resource: topicArgs([topics.input]) },
        {
          operations: ['Describe', 'Read'],
          resource: ['--resource-pattern-type', 'prefixed', '--group', quote(ingestPositionGroupPrefix(config))],
        },
      ],
    ]);
  }
  if (config.provisionTopics) {
    const deletes = config.topicRemovalPolicy === 'retain' ? [] : ['Delete'];
    out.push([
      'Topic provisioner: creates the topics, grows their partitions, merges their configs',
      [
        { operations: ['Create'], resource: ['--cluster'] },
        {
          operations: ['Describe', 'Alter', 'DescribeConfigs', 'AlterConfigs', ...deletes],
          resource: topicArgs(written),
        },
      ],
    ]);
  }
  return out;
}

/**
 * The `kafka-acls.sh` commands for the environment, or one line saying why there are none (IAM access control, or
 * no client authentication).
 */
export function kafkaAclCommands(inputs: KafkaAclInputs): string {
  const { config } = inputs;
  const header = `# Kafka ACLs for stack ${config.stackName} (environment ${config.envName})`;
  if (config.kafkaAuth === 'iam') {
    return `${header}: none, MSK IAM access control decides through the execution roles' IAM policies.\n`;
  }
  if (config.kafkaAuth === 'none' || (config.kafkaAuth === 'tls' && !config.kafkaSecretArn)) {
    return `${header}: none, the clients present no identity (kafkaAuth ${config.kafkaAuth}) for ACLs to name.\n`;
  }
  const command = (g: Grant): string =>
    [
      'kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal "$PRINCIPAL"',
      ...g.operations.map((op) => `--operation ${op}`),
      ...g.resource,
    ].join(' ');
  const lines = [
    `${header}, kafkaAuth ${config.kafkaAuth}: run as the cluster owner.`,
    '# "Troubleshooting Kafka event source mapping errors", https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-troubleshoot.html',
    `BOOTSTRAP=${bootstrap(config)}`,
    "ADMIN_CONFIG='admin.properties' # the cluster owner's client properties (security.protocol, sasl.*, ssl.*)",
    `PRINCIPAL='User:<principal>' # ${principalHint(config)}`,
  ];
  for (const [who, list] of grants(inputs)) {
    lines.push(`# ${who}`, ...list.map(command));
  }
  return `${lines.join('\n')}\n`;
}
