/**
 * The Kafka cluster of an environment: MSK or self-managed, how every client authenticates, which broker ports
 * are opened. Part of `InfraConfig` (infra/config/config.ts), resolved and checked here.
 */
import { ConfigError } from './config-error.ts';
import { parseMskClusterArn } from './msk-arns.ts';

export type KafkaClusterType = 'msk' | 'self-managed';
/**
 * `iam` (MSK only), `scram` (SASL/SCRAM over TLS), `tls` (mutual TLS with `kafkaSecretArn`), `none` (plaintext,
 * in a VPC).
 */
export type KafkaAuth = 'none' | 'tls' | 'scram' | 'iam';

/** Broker port of each authentication mode on MSK, inside the VPC (MSK, "Port information"). */
export const MSK_PORTS: Record<KafkaAuth, number> = { none: 9092, tls: 9094, scram: 9096, iam: 9098 };

/**
 * Amazon MSK: a SASL/SCRAM secret encrypted with the default AWS managed key cannot be used with a cluster; it needs a
 * customer managed key.
 */
export const MSK_SCRAM_KEY_PAGE =
  '"Set up SASL/SCRAM authentication for an Amazon MSK cluster", https://docs.aws.amazon.com/msk/latest/developerguide/msk-password-tutorial.html';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/;

/** Cluster keys of an environment. */
export interface KafkaClusterConfig {
  readonly kafkaClusterType: KafkaClusterType;
  /** `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`; required for MSK. @default - none */
  readonly mskClusterArn?: string;
  /** `host:port` of a self-managed cluster; required for self-managed. @default - none */
  readonly kafkaBootstrapServers?: string[];
  /** Authentication of the event source mapping and every client of the stack. @default 'iam' (MSK), 'scram' */
  readonly kafkaAuth?: KafkaAuth;
  /** MSK supports SCRAM-SHA-512 only. @default 'SCRAM-SHA-512' */
  readonly kafkaScramMechanism?: 'SCRAM-SHA-512' | 'SCRAM-SHA-256';
  /**
   * Complete secret ARN: SCRAM credentials `{"username","password"}` (MSK: name starts with `AmazonMSK_`), or for
   * `tls` the client certificate `{"certificate","privateKey"}` the mapping and the function both present.
   * @default - none
   */
  readonly kafkaSecretArn?: string;
  /** Secret with the private root CA of a self-managed cluster. @default - publicly trusted brokers */
  readonly kafkaRootCaSecretArn?: string;
  /**
   * Customer managed KMS key of the secrets (`kms:Decrypt` via Secrets Manager); required for MSK with SASL/SCRAM,
   * whose secrets cannot use the AWS managed key (see {@link MSK_SCRAM_KEY_PAGE}).
   * @default - AWS managed key (not with MSK SASL/SCRAM)
   */
  readonly kafkaSecretKmsKeyArn?: string;
  /** Broker ports. @default - MSK: from `kafkaAuth` (9098/9096/9094/9092); self-managed: of `kafkaBootstrapServers` */
  readonly kafkaBrokerPorts?: number[];
  /** Brokers' security group: ingress from the function, on MSK from itself; required for MSK (see next). */
  readonly brokerSecurityGroupId?: string;
  /**
   * MSK: the event pollers' network interfaces use the cluster's subnets and security groups, not the function's
   * (AWS, "Creating a Lambda event source mapping for an Amazon MSK event source"), so the brokers' security group
   * gets a self-referencing ingress rule on the broker ports. False when that rule is managed elsewhere.
   * @default true
   */
  readonly brokerSecurityGroupSelfIngress?: boolean;
}

type ClusterInput = KafkaClusterConfig & {
  readonly account: string;
  readonly region: string;
  readonly vpcId?: string;
  readonly kafkaScramMechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256';
  readonly brokerSecurityGroupSelfIngress: boolean;
};

function oneOf<T extends string>(key: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) throw new ConfigError(`${key} must be ${allowed.join('|')}, got '${value}'`);
}

/** Checks the cluster keys; returns the authentication and the broker ports, defaulted. */
export function resolveKafkaCluster(
  c: ClusterInput,
  required: (key: 'mskClusterArn' | 'kafkaBootstrapServers' | 'vpcId' | 'kafkaSecretArn') => void,
): { kafkaAuth: KafkaAuth; kafkaBrokerPorts: number[] } {
  const clusterType = c.kafkaClusterType;
  oneOf('kafkaClusterType', clusterType, ['msk', 'self-managed']);
  const kafkaAuth: KafkaAuth = c.kafkaAuth ?? (clusterType === 'msk' ? 'iam' : 'scram');
  oneOf('kafkaAuth', kafkaAuth, ['none', 'tls', 'scram', 'iam']);
  oneOf('kafkaScramMechanism', c.kafkaScramMechanism, ['SCRAM-SHA-512', 'SCRAM-SHA-256']);
  let kafkaBrokerPorts = c.kafkaBrokerPorts;
  if (clusterType === 'msk') {
    required('mskClusterArn');
    let arn: ReturnType<typeof parseMskClusterArn>;
    try {
      arn = parseMskClusterArn(c.mskClusterArn!);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    if (arn.region !== c.region || arn.account !== c.account) {
      throw new ConfigError(`mskClusterArn must be in the stack's account and region (${c.account}/${c.region})`);
    }
    if (kafkaAuth !== 'iam' && kafkaAuth !== 'scram') {
      throw new ConfigError(`kafkaAuth '${kafkaAuth}' is not supported with MSK; use 'iam' or 'scram'`);
    }
    if (c.kafkaBootstrapServers?.length) {
      throw new ConfigError(
        'kafkaBootstrapServers is only for self-managed clusters (MSK brokers are discovered from mskClusterArn)',
      );
    }
    if (c.kafkaScramMechanism !== 'SCRAM-SHA-512') {
      throw new ConfigError('MSK only supports kafkaScramMechanism SCRAM-SHA-512');
    }
    if (c.kafkaRootCaSecretArn) throw new ConfigError('kafkaRootCaSecretArn is only for self-managed clusters');
    if (kafkaAuth === 'scram' && c.kafkaSecretArn && !/:secret:AmazonMSK_/.test(c.kafkaSecretArn)) {
      throw new ConfigError('MSK SCRAM secrets must be named AmazonMSK_* (kafkaSecretArn)');
    }
    if (kafkaAuth === 'scram' && c.kafkaSecretArn && !c.kafkaSecretKmsKeyArn) {
      // Without the key named, the role would read the secret but could not decrypt it (no kms:Decrypt), and the
      // deploy would work only if the key's own policy named the role.
      throw new ConfigError(
        'kafkaSecretKmsKeyArn is required with MSK SASL/SCRAM: name the customer managed key that encrypts ' +
          `kafkaSecretArn; a secret under the default AWS managed key cannot be used with MSK (${MSK_SCRAM_KEY_PAGE})`,
      );
    }
    required('vpcId');
    if (c.brokerSecurityGroupSelfIngress && !c.brokerSecurityGroupId) {
      throw new ConfigError(
        "brokerSecurityGroupId is required for MSK: the event pollers use the cluster's security groups, which must " +
          'admit themselves on the broker ports (or set brokerSecurityGroupSelfIngress false if that rule exists ' +
          'elsewhere)',
      );
    }
    kafkaBrokerPorts ??= [MSK_PORTS[kafkaAuth]];
  } else {
    required('kafkaBootstrapServers');
    if (c.mskClusterArn) throw new ConfigError('mskClusterArn is only for kafkaClusterType msk');
    if (kafkaAuth === 'iam') throw new ConfigError("kafkaAuth 'iam' requires kafkaClusterType 'msk'");
    const ports = c.kafkaBootstrapServers!.map((server) => {
      const m = /^[A-Za-z0-9.-]+:(\d{1,5})$/.exec(server);
      if (!m) throw new ConfigError(`kafkaBootstrapServers entry '${server}' must be host:port`);
      return Number(m[1]);
    });
    kafkaBrokerPorts ??= [...new Set(ports)].sort((a, b) => a - b);
    if (kafkaAuth === 'none' && !c.vpcId) {
      throw new ConfigError(
        "kafkaAuth 'none' requires vpcId (brokers reachable over the internet need authentication)",
      );
    }
  }
  if (kafkaAuth === 'scram') required('kafkaSecretArn');
  if (kafkaAuth === 'tls' && !c.kafkaSecretArn && !c.vpcId) {
    throw new ConfigError("kafkaAuth 'tls' without a client certificate (kafkaSecretArn) requires vpcId");
  }
  if ((kafkaAuth === 'iam' || kafkaAuth === 'none') && c.kafkaSecretArn) {
    throw new ConfigError(`kafkaSecretArn is not used with kafkaAuth '${kafkaAuth}'`);
  }
  for (const key of ['kafkaSecretArn', 'kafkaRootCaSecretArn'] as const) {
    if (c[key] && !SECRET_ARN.test(c[key]!)) {
      throw new ConfigError(`${key} must be a complete Secrets Manager secret ARN (with the 6-character suffix)`);
    }
  }
  if (c.kafkaSecretKmsKeyArn && !KMS_KEY_ARN.test(c.kafkaSecretKmsKeyArn)) {
    throw new ConfigError('kafkaSecretKmsKeyArn must be a KMS key ARN');
  }
  for (const port of kafkaBrokerPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`kafkaBrokerPorts must be integers between 1 and 65535, got ${port}`);
    }
  }
  return { kafkaAuth, kafkaBrokerPorts };
}
