/**
 * How a function of the stack reaches the Kafka cluster, and the environment that tells
 * `lib/kafka/kafka-client.ts` so. The enrichment function, the redrive function and the topic
 * provisioner all get their Kafka environment from {@link kafkaClientEnvironment}, and all build their
 * client with `createKafka(kafkaConnectionConfigFromEnv(env))`: one client configuration, one secret format.
 */

/** Cluster coordinates and authentication shared by every Kafka client of the stack. */
export interface KafkaConnection {
  /**
   * MSK cluster ARN (brokers resolved at run time with `kafka:GetBootstrapBrokers`).
   * @default - `bootstrapServers`
   */
  readonly mskClusterArn?: string;
  /**
   * Bootstrap servers of a self-managed cluster.
   * @default - none
   */
  readonly bootstrapServers?: string[];
  /** Client authentication. */
  readonly auth: 'none' | 'tls' | 'scram' | 'iam';
  /**
   * SCRAM mechanism (`auth: 'scram'`).
   * @default 'SCRAM-SHA-512'
   */
  readonly scramMechanism?: 'SCRAM-SHA-512' | 'SCRAM-SHA-256';
  /**
   * SCRAM credentials (`auth: 'scram'`) or mTLS client certificate (`auth: 'tls'`) secret ARN; the event
   * source mapping reads the same secret.
   * @default - none
   */
  readonly secretArn?: string;
  /**
   * Root CA secret ARN.
   * @default - none (publicly trusted broker certificates)
   */
  readonly rootCaSecretArn?: string;
  /**
   * CMK encrypting the secrets.
   * @default - none
   */
  readonly secretKmsKeyArn?: string;
}

/** Environment variables `kafkaConnectionConfigFromEnv` (lib/kafka/kafka-client.ts) reads for `conn`. */
export function kafkaClientEnvironment(conn: KafkaConnection): Record<string, string> {
  const env: Record<string, string> = { KAFKA_AUTH: conn.auth };
  if (conn.mskClusterArn) env.KAFKA_MSK_CLUSTER_ARN = conn.mskClusterArn;
  else if (conn.bootstrapServers) env.KAFKA_BROKERS = conn.bootstrapServers.join(',');
  if (conn.secretArn) {
    if (conn.auth === 'scram') env.KAFKA_SASL_SECRET_ARN = conn.secretArn;
    else if (conn.auth === 'tls') env.KAFKA_CLIENT_CERT_SECRET_ARN = conn.secretArn;
  }
  if (conn.auth === 'scram') env.KAFKA_SCRAM_MECHANISM = conn.scramMechanism ?? 'SCRAM-SHA-512';
  if (conn.rootCaSecretArn && conn.auth !== 'none') env.KAFKA_ROOT_CA_SECRET_ARN = conn.rootCaSecretArn;
  return env;
}
