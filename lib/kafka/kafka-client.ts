/**
 * The one kafkajs client configuration of the project: the enrichment function's producer, the
 * redrive function, the topic provisioner custom resource, the local event source mapping, replay
 * and create-topics all build their client here. Bootstrap servers (given, or resolved once from an MSK cluster
 * ARN) and authentication: plaintext, TLS (with a client certificate: mutual TLS), SASL/SCRAM
 * from Secrets Manager, MSK IAM via SASL OAUTHBEARER.
 */
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs';
import { ConfigurationError, readSettings, type SettingValues } from '../settings/catalogue.js';

export type KafkaAuthMode = 'none' | 'tls' | 'scram' | 'iam';

/** How to reach the cluster; each field names its variable in `lib/settings/catalogue.ts`. */
export interface KafkaConnectionConfig {
  /** `KAFKA_BROKERS`; required unless `mskClusterArn` is set. */
  readonly brokers?: readonly string[];
  /** `KAFKA_MSK_CLUSTER_ARN` */
  readonly mskClusterArn?: string;
  /** `KAFKA_AUTH` */
  readonly auth: KafkaAuthMode;
  /** `KAFKA_SASL_SECRET_ARN` */
  readonly saslSecretArn?: string;
  /** `KAFKA_SCRAM_MECHANISM` */
  readonly scramMechanism?: 'scram-sha-512' | 'scram-sha-256';
  /** `KAFKA_ROOT_CA_SECRET_ARN`; unset trusts the runtime's public CAs. */
  readonly rootCaSecretArn?: string;
  /**
   * `KAFKA_CLIENT_CERT_SECRET_ARN`: the mutual TLS client certificate, in the secret format of the event
   * source mapping's `CLIENT_CERTIFICATE_TLS_AUTH`, so both present the same certificate.
   */
  readonly clientCertificateSecretArn?: string;
  /** `KAFKA_CLIENT_ID` */
  readonly clientId: string;
  /** `KAFKA_CONNECTION_TIMEOUT_MS` */
  readonly connectionTimeoutMs: number;
  /** `KAFKA_REQUEST_TIMEOUT_MS` */
  readonly requestTimeoutMs: number;
  /** AWS region for MSK IAM signing and lookups (`AWS_REGION`, set by Lambda). */
  readonly region?: string;
  /** `KAFKA_LOG_LEVEL` */
  readonly logLevel?: keyof typeof logLevel;
}

export function kafkaConnectionConfigFromEnv(
  env: NodeJS.ProcessEnv,
  s: SettingValues = readSettings(env),
): KafkaConnectionConfig {
  const brokers = s.KAFKA_BROKERS;
  const mskClusterArn = s.KAFKA_MSK_CLUSTER_ARN;
  const auth: KafkaAuthMode = s.KAFKA_AUTH ?? (mskClusterArn && !brokers?.length ? 'iam' : 'none');
  if (!brokers?.length && !mskClusterArn) throw new ConfigurationError('set KAFKA_BROKERS or KAFKA_MSK_CLUSTER_ARN');
  if (auth === 'scram' && !s.KAFKA_SASL_SECRET_ARN) {
    throw new ConfigurationError('KAFKA_AUTH=scram needs KAFKA_SASL_SECRET_ARN');
  }
  if (s.KAFKA_CLIENT_CERT_SECRET_ARN && auth !== 'tls') {
    throw new ConfigurationError(`KAFKA_CLIENT_CERT_SECRET_ARN is only used with KAFKA_AUTH=tls (got ${auth})`);
  }
  return {
    brokers,
    mskClusterArn,
    auth,
    saslSecretArn: s.KAFKA_SASL_SECRET_ARN,
    scramMechanism: s.KAFKA_SCRAM_MECHANISM === 'SCRAM-SHA-256' ? 'scram-sha-256' : 'scram-sha-512',
    rootCaSecretArn: s.KAFKA_ROOT_CA_SECRET_ARN,
    clientCertificateSecretArn: s.KAFKA_CLIENT_CERT_SECRET_ARN,
    clientId: s.KAFKA_CLIENT_ID,
    connectionTimeoutMs: s.KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: s.KAFKA_REQUEST_TIMEOUT_MS,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    logLevel: s.KAFKA_LOG_LEVEL,
  };
}

const secretCache = new Map<string, Promise<string>>();

/** Reads a secret once per container; a failed read is retried on next use. Values never reach logs. */
function secretString(secretArn: string): Promise<string> {
  let cached = secretCache.get(secretArn);
  if (!cached) {
    cached = (async () => {
      const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
      return out.SecretString ?? '';
    })();
    cached.catch(() => secretCache.delete(secretArn));
    secretCache.set(secretArn, cached);
  }
  return cached;
}

/** Drops cached secrets, so a rotated SCRAM password is read again after the broker refuses the old one. */
export function forgetCachedSecrets(): void {
  secretCache.clear();
}

async function scramCredentials(secretArn: string): Promise<{ username: string; password: string }> {
  let parsed: { username?: unknown; password?: unknown } = {};
  try {
    parsed = JSON.parse(await secretString(secretArn)) as typeof parsed;
  } catch (err) {
    if (err instanceof SyntaxError) parsed = {};
    else throw err;
  }
  if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string') {
    throw new ConfigurationError(`secret ${secretArn} must be JSON with string "username" and "password"`);
  }
  return { username: parsed.username, password: parsed.password };
}

async function rootCertificate(secretArn: string): Promise<string> {
  const value = (await secretString(secretArn)).trim();
  if (value.startsWith('{')) {
    const cert = (JSON.parse(value) as { certificate?: unknown }).certificate;
    if (typeof cert === 'string') return cert;
    throw new ConfigurationError(`secret ${secretArn} must be a PEM certificate or JSON with "certificate"`);
  }
  return value;
}

/**
 * The client certificate and key of a `CLIENT_CERTIFICATE_TLS_AUTH` secret, as Node's TLS options. AWS, "Configuring
 * cluster authentication methods in Lambda" (https://docs.aws.amazon.com/lambda/latest/dg/kafka-cluster-auth.html):
 * `certificate` lists the client certificate, intermediates, then the root (PEM); `privateKey` is PEM, encrypted
 * (PBES1) with `privateKeyPassword` or not.
 */
async function clientCertificate(secretArn: string): Promise<Pick<ConnectionOptions, 'cert' | 'key' | 'passphrase'>> {
  let parsed: { certificate?: unknown; privateKey?: unknown; privateKeyPassword?: unknown } = {};
  try {
    parsed = JSON.parse(await secretString(secretArn)) as typeof parsed;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  const { certificate, privateKey, privateKeyPassword } = parsed;
  if (typeof certificate !== 'string' || typeof privateKey !== 'string') {
    throw new ConfigurationError(`secret ${secretArn} must be JSON with string "certificate" and "privateKey" (PEM)`);
  }
  if (privateKeyPassword !== undefined && typeof privateKeyPassword !== 'string') {
    throw new ConfigurationError(`secret ${secretArn}: "privateKeyPassword" must be a string`);
  }
  return { cert: certificate, key: privateKey, passphrase: privateKeyPassword };
}

/** Resolves MSK bootstrap brokers once per container for the configured auth mode. */
async function mskBootstrapBrokers(clusterArn: string, auth: KafkaAuthMode): Promise<string[]> {
  const { KafkaClient, GetBootstrapBrokersCommand } = await import('@aws-sdk/client-kafka');
  const out = await new KafkaClient({}).send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  const list =
    auth === 'iam'
      ? out.BootstrapBrokerStringSaslIam
      : auth === 'scram'
        ? out.BootstrapBrokerStringSaslScram
        : auth === 'tls'
          ? out.BootstrapBrokerStringTls
          : out.BootstrapBrokerString;
  if (!list) throw new ConfigurationError(`MSK cluster ${clusterArn} has no bootstrap brokers for auth ${auth}`);
  return list.split(',');
}

export function kafkaClientConfig(config: KafkaConnectionConfig): KafkaConfig {
  let resolvedBrokers: Promise<string[]> | undefined;
  const brokers = config.brokers?.length
    ? [...config.brokers]
    : async () => {
        resolvedBrokers ??= mskBootstrapBrokers(config.mskClusterArn!, config.auth);
        resolvedBrokers.catch(() => (resolvedBrokers = undefined));
        return resolvedBrokers;
      };
  // kafkajs takes a credentials provider only for OAUTHBEARER; SCRAM credentials are added by `createKafka`.
  let sasl: SASLOptions | undefined;
  if (config.auth === 'iam') {
    sasl = {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        const { token } = await generateAuthToken({ region: config.region ?? 'us-east-1' });
        return { value: token };
      },
    };
  }
  return {
    clientId: config.clientId,
    brokers,
    ssl: config.auth !== 'none',
    sasl,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logLevel[config.logLevel ?? 'ERROR'],
    logCreator: transientAwareLogCreator,
  };
}

/**
 * Broker conditions kafkajs logs as ERROR and then retries: normal while a broker starts or a
 * group rebalances, so not an error to a user. Keyed by a part of kafkajs's message.
 */
const TRANSIENT_CONDITIONS: ReadonlyArray<readonly [string, string]> = [
  ['The coordinator is loading', "the broker's group coordinator is still loading (normal right after it starts)"],
  ['The coordinator is not available', "the broker's group coordinator is not available yet"],
  ['This is not the correct coordinator', 'the group coordinator moved to another broker'],
  ['There is no leader for this topic-partition', 'a partition has no leader yet (leader election)'],
  ['This server is not the leader for that topic-partition', 'a partition leader moved to another broker'],
  ['The group is rebalancing', 'the consumer group is rebalancing'],
];

/** The condition in words when a kafkajs error message names a transient one, else undefined. */
export function transientKafkaCondition(errorMessage: string): string | undefined {
  return TRANSIENT_CONDITIONS.find(([start]) => errorMessage.includes(start))?.[1];
}

/**
 * kafkajs's console format, except that a transient condition (above) is logged once, in words,
 * at INFO (again only at DEBUG); ERROR stays for what needs a person.
 */
const transientAwareLogCreator: logCreator = (configured) => {
  const seen = new Set<string>();
  return ({ namespace, level, label, log }) => {
    const transient = transientKafkaCondition(typeof log.error === 'string' ? log.error : '');
    if (transient) {
      const again = seen.has(transient);
      seen.add(transient);
      if (configured < (again ? logLevel.DEBUG : logLevel.INFO)) return;
      [level, label] = again ? [logLevel.DEBUG, 'DEBUG'] : [logLevel.INFO, 'INFO'];
      log = { ...log, message: `${transient}; retrying (${log.message})` };
    }
    const line = JSON.stringify({
      level: label,
      ...log,
      message: `${namespace ? `[${namespace}] ` : ''}${log.message}`,
    });
    if (level === logLevel.ERROR) console.error(line);
    else if (level === logLevel.WARN) console.warn(line);
    else if (level === logLevel.INFO) console.info(line);
    else console.log(line);
  };
};

/** A kafkajs client for the configuration, with SCRAM credentials fetched from Secrets Manager when needed. */
export async function createKafka(config: KafkaConnectionConfig): Promise<Kafka> {
  const clientConfig = kafkaClientConfig(config);
  if (config.auth === 'scram') {
    const { username, password } = await scramCredentials(config.saslSecretArn!);
    clientConfig.sasl =
      config.scramMechanism === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', username, password }
        : { mechanism: 'scram-sha-512', username, password };
  }
  if (config.auth !== 'none') {
    // Every option kafkajs passes to tls.connect: without `cert`/`key` a broker that requires client
    // certificates (ssl.client.auth=required) closes the handshake.
    const tls: ConnectionOptions = {};
    if (config.rootCaSecretArn) tls.ca = [await rootCertificate(config.rootCaSecretArn)];
    if (config.auth === 'tls' && config.clientCertificateSecretArn) {
      Object.assign(tls, await clientCertificate(config.clientCertificateSecretArn));
    }
    clientConfig.ssl = Object.keys(tls).length > 0 ? tls : true;
  }
  return new Kafka(clientConfig);
}
