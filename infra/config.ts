/**
 * Typed, per-environment configuration of the page-content-change enrichment pipeline.
 *
 * An environment is a JSON file in `infra/environments/<name>.json` (think of Wikimedia's
 * per-datacenter `values-eqiad.yaml` / `values-codfw.yaml`). It is selected with
 * `cdk deploy -c env=<name>` and every key can be overridden on the command line with
 * `-c <key>=<value>` (for example `-c batchSize=500`).
 *
 * All topic names in this file are *unprefixed*; the effective Kafka topic is
 * `kafkaTopicPrefix + name` (e.g. `eqiad.` + `mediawiki.page_change.v1`).
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { WIKIMEDIA_DOMAINS } from '../lib/config.js';

/** How the pipeline reaches its Kafka cluster. */
export type KafkaClusterType = 'msk' | 'self-managed';

/**
 * Kafka client authentication.
 * - `iam`: MSK IAM access control (SASL/OAUTHBEARER, brokers on port 9098). MSK only.
 * - `scram`: SASL/SCRAM over TLS (port 9096 on MSK), credentials in a Secrets Manager secret.
 * - `tls`: TLS encryption; with `kafkaSecretArn` the event source mapping also authenticates with the client
 *   certificate in it (mTLS, `CLIENT_CERTIFICATE_TLS_AUTH`). Self-managed only.
 * - `none`: no client authentication, plaintext. Self-managed only, inside a VPC.
 */
export type KafkaAuth = 'none' | 'tls' | 'scram' | 'iam';

/** SASL/SCRAM mechanism. */
export type ScramMechanism = 'SCRAM-SHA-512' | 'SCRAM-SHA-256';

/** Where the event source mapping starts reading when the consumer group has no committed offset. */
export type StartingPositionName = 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';

/** Where the event source mapping sends records it gives up on. */
export type OnFailureDestinationType = 'kafka' | 'sqs' | 's3' | 'none';

/**
 * What happens to a provisioned topic when it is removed from the stack (or the stack is deleted).
 * - `retain`: never delete the topic.
 * - `destroy-if-empty`: delete it only when no partition holds any record (low == high watermark).
 * - `destroy`: delete it, data included.
 */
export type TopicRemovalPolicy = 'retain' | 'destroy-if-empty' | 'destroy';

/** Compression codec of the kafkajs producer (the handler supports gzip and none). */
export type KafkaCompression = 'none' | 'gzip';

/** Handler log level (`LOG_LEVEL`, Powertools logger). */
export type LogLevelName = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Configuration of one deployment (environment) of the pipeline.
 *
 * Only `account`, `region`, `kafkaClusterType`, `mwApiUserAgent` and the cluster coordinates
 * (`mskClusterArn` or `kafkaBootstrapServers`) are required; everything else has a default.
 */
export interface PipelineConfig {
  // ---------------------------------------------------------------- identity

  /** AWS account id the stack is deployed to (explicit so that synth never needs credentials). */
  readonly account: string;
  /** AWS region the stack is deployed to. */
  readonly region: string;
  /**
   * CloudFormation stack name.
   * @default `MwPageContentChangeEnrich-<env>`
   */
  readonly stackName?: string;
  /**
   * Service name: `POWERTOOLS_SERVICE_NAME`, the `service` dimension of the handler's EMF metrics,
   * and the prefix of resource names.
   * @default 'mw-page-content-change-enrich'
   */
  readonly serviceName?: string;
  /**
   * Tags applied to every resource of the stack.
   * @default - none (besides `service` and `environment`, which are always set)
   */
  readonly tags?: Record<string, string>;

  // ---------------------------------------------------------------- Kafka cluster

  /** Amazon MSK or self-managed Apache Kafka. */
  readonly kafkaClusterType: KafkaClusterType;
  /**
   * MSK cluster ARN, `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`.
   * Required when `kafkaClusterType` is `msk`; the topic and group ARNs of the IAM policy are derived from it.
   * @default - none
   */
  readonly mskClusterArn?: string;
  /**
   * Bootstrap servers `host:port` of a self-managed cluster. Required when `kafkaClusterType` is `self-managed`.
   * @default - none
   */
  readonly kafkaBootstrapServers?: string[];
  /**
   * Client authentication, used by the event source mapping and the function's producer.
   * @default 'iam' for MSK, 'scram' for self-managed
   */
  readonly kafkaAuth?: KafkaAuth;
  /**
   * SASL/SCRAM mechanism (`kafkaAuth: 'scram'`). MSK only supports SCRAM-SHA-512.
   * @default 'SCRAM-SHA-512'
   */
  readonly kafkaScramMechanism?: ScramMechanism;
  /**
   * Complete Secrets Manager secret ARN with the SCRAM credentials (`{"username","password"}`; on MSK the
   * secret name starts with `AmazonMSK_`) or, for `tls`, the mTLS client certificate
   * (`{"certificate","privateKey"}`). Required for `scram`, optional for `tls`.
   * @default - none
   */
  readonly kafkaSecretArn?: string;
  /**
   * Secrets Manager secret ARN with the root CA certificate of a self-managed cluster signed by a private CA.
   * @default - none (brokers use a publicly trusted certificate)
   */
  readonly kafkaRootCaSecretArn?: string;
  /**
   * Customer managed KMS key ARN that encrypts the Kafka secrets (grants `kms:Decrypt` on it).
   * @default - none (secrets encrypted with the AWS managed key)
   */
  readonly kafkaSecretKmsKeyArn?: string;
  /**
   * Broker ports the function's security group may reach.
   * @default - for MSK from `kafkaAuth` (iam 9098, scram 9096, tls 9094, none 9092);
   *            for self-managed the ports of `kafkaBootstrapServers`
   */
  readonly kafkaBrokerPorts?: number[];
  /**
   * Security group of the brokers. When set, ingress rules from the function's security group on the
   * broker ports are added to it.
   * @default - none (the broker security group is managed elsewhere)
   */
  readonly brokerSecurityGroupId?: string;

  // ---------------------------------------------------------------- topics and streams

  /**
   * Prefix of every topic name (`KAFKA_TOPIC_PREFIX`), e.g. `eqiad.`.
   * @default ''
   */
  readonly kafkaTopicPrefix?: string;
  /**
   * Input topic (unprefixed) that the event source mapping consumes.
   * @default 'mediawiki.page_change.v1'
   */
  readonly inputTopic?: string;
  /**
   * Output topic (unprefixed, `OUTPUT_TOPIC`) for enriched events.
   * @default 'mediawiki.page_content_change.v1'
   */
  readonly outputTopic?: string;
  /**
   * Error topic (unprefixed, `ERROR_TOPIC`) for events that could not be enriched.
   * @default 'mw_page_content_change_enrich.error'
   */
  readonly errorTopic?: string;
  /**
   * Output stream name written into `meta.stream` of enriched events (`OUTPUT_STREAM`).
   * @default 'mediawiki.page_content_change.v1'
   */
  readonly outputStream?: string;
  /**
   * Error stream name written into `meta.stream` of error events (`ERROR_STREAM`).
   * @default 'mw_page_content_change_enrich.error'
   */
  readonly errorStream?: string;
  /**
   * `EMITTER_ID` of the produced events.
   * @default `<serviceName>.<env>`
   */
  readonly emitterId?: string;
  /**
   * Producer limit for one message and one produce request in bytes (`KAFKA_MAX_MESSAGE_BYTES`);
   * keep it at or below the topics' `max.message.bytes`.
   * @default 1048576 (1 MiB, the Kafka/MSK broker default)
   */
  readonly kafkaMaxMessageBytes?: number;
  /**
   * Producer compression codec (`KAFKA_COMPRESSION`).
   * @default 'gzip'
   */
  readonly kafkaCompression?: KafkaCompression;

  // ---------------------------------------------------------------- event source mapping

  /**
   * Kafka consumer group id of the event source mapping. Cannot be changed after creation.
   * @default 'mw-page-content-change-enrich'
   */
  readonly consumerGroupId?: string;
  /**
   * Starting position when the consumer group has no committed offset.
   * @default 'LATEST'
   */
  readonly startingPosition?: StartingPositionName;
  /**
   * Unix time in seconds to start from when `startingPosition` is `AT_TIMESTAMP`.
   * @default - none
   */
  readonly startingPositionTimestamp?: number;
  /**
   * Maximum records per invocation (1-10000).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Maximum batching window in seconds (0-300).
   * @default 1
   */
  readonly maxBatchingWindowSeconds?: number;
  /**
   * Use provisioned mode (dedicated event pollers). AWS documents the Kafka failure-handling controls
   * below (retries, bisect, record age, partial batch responses, Kafka on-failure topic) as provisioned-mode features.
   * @default true
   */
  readonly provisionedPollers?: boolean;
  /**
   * Minimum event pollers in provisioned mode (1-200).
   * @default 1
   */
  readonly minPollers?: number;
  /**
   * Maximum event pollers in provisioned mode (1-2000); useless beyond the input topic's partition count.
   * @default 3
   */
  readonly maxPollers?: number;
  /**
   * Retries of a failed batch; -1 retries until the record expires.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Maximum age of a record in seconds (60-604800); -1 means unlimited.
   * @default -1
   */
  readonly maxRecordAgeSeconds?: number;
  /**
   * Split a failing batch in two and retry each half.
   * @default true
   */
  readonly bisectBatchOnError?: boolean;
  /**
   * Let the handler return `batchItemFailures` (sets `FunctionResponseTypes: [ReportBatchItemFailures]`).
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Destination of records the event source mapping gives up on.
   * @default 'kafka'
   */
  readonly onFailureDestination?: OnFailureDestinationType;
  /**
   * On-failure topic (unprefixed) when `onFailureDestination` is `kafka`.
   * @default 'mw_page_content_change_enrich.dlq'
   */
  readonly onFailureTopic?: string;
  /**
   * Existing SQS queue ARN for `onFailureDestination: 'sqs'`.
   * @default - a KMS-encrypted queue is created
   */
  readonly onFailureQueueArn?: string;
  /**
   * Existing S3 bucket ARN for `onFailureDestination: 's3'`.
   * @default - an encrypted, private bucket is created
   */
  readonly onFailureBucketArn?: string;

  // ---------------------------------------------------------------- function

  /**
   * Function name.
   * @default - generated by CloudFormation
   */
  readonly functionName?: string;
  /**
   * Memory in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout in seconds.
   * @default 120
   */
  readonly timeoutSeconds?: number;
  /**
   * Reserved concurrent executions.
   * @default - none (unreserved account concurrency)
   */
  readonly reservedConcurrency?: number;
  /**
   * `LOG_LEVEL` of the handler; also the application log level of the Lambda JSON log format.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevelName;
  /**
   * Extra environment variables of the function, merged last (e.g. `MW_API_CONNECT_TIMEOUT_MS`,
   * `MW_API_DEADLINE_MARGIN_MS`, `OUTPUT_SCHEMA_URI`, `KAFKA_CLIENT_ID`).
   * @default - none
   */
  readonly extraEnvironment?: Record<string, string>;
  /**
   * Retention of the function's log group in days.
   * @default 30
   */
  readonly logRetentionDays?: number;

  // ---------------------------------------------------------------- MediaWiki Action API

  /**
   * `MW_API_URL_TEMPLATE`; `{domain}` is replaced with the event's `meta.domain`.
   * @default 'https://{domain}/w/api.php'
   */
  readonly mwApiUrlTemplate?: string;
  /**
   * `MW_API_ALLOWED_DOMAINS` (comma-separated in the environment). Patterns like `*.wikipedia.org` allowed.
   * @default ['*.wikipedia.org','*.wiktionary.org','*.wikibooks.org','*.wikinews.org','*.wikiquote.org','*.wikisource.org','*.wikiversity.org','*.wikivoyage.org','*.wikimedia.org','www.wikidata.org','test.wikidata.org','www.mediawiki.org']
   */
  readonly mwApiAllowedDomains?: string[];
  /**
   * `MW_API_USER_AGENT`. Required: Wikimedia's User-Agent policy asks for a tool name and contact
   * information (an e-mail address or a URL), e.g. `mw-page-content-change-enrich/0.1 (https://example.org/contact; ops@example.org)`.
   */
  readonly mwApiUserAgent: string;
  /**
   * `MW_API_TIMEOUT_MS`, per request.
   * @default 5000
   */
  readonly mwApiTimeoutMs?: number;
  /**
   * `MW_API_MAX_RETRIES`.
   * @default 3
   */
  readonly mwApiMaxRetries?: number;
  /**
   * `MW_API_RETRY_BASE_MS`, base of the exponential backoff.
   * @default 200
   */
  readonly mwApiRetryBaseMs?: number;
  /**
   * `MW_API_BATCH_SIZE`, revision ids per API request (the API allows 50 for normal clients).
   * @default 50
   */
  readonly mwApiBatchSize?: number;
  /**
   * `MW_API_CONCURRENCY`, concurrent API requests per invocation.
   * @default 8
   */
  readonly mwApiConcurrency?: number;
  /**
   * `MW_API_MAXLAG` in seconds (the API's `maxlag` parameter).
   * @default 5
   */
  readonly mwApiMaxlag?: number;

  // ---------------------------------------------------------------- networking

  /**
   * VPC of the cluster. Required for MSK; optional for a self-managed cluster reachable over the internet.
   * @default - none
   */
  readonly vpcId?: string;
  /**
   * Private subnets (with a NAT route for the MediaWiki API) of the function and the event pollers.
   * @default - none; required with `vpcId`
   */
  readonly subnetIds?: string[];
  /**
   * Availability zones of `subnetIds`, same order.
   * @default - none; required with `vpcId`
   */
  readonly availabilityZones?: string[];

  // ---------------------------------------------------------------- topic provisioning

  /**
   * Create the output, error and (Kafka) on-failure topics if missing, via a custom resource.
   * @default false
   */
  readonly provisionTopics?: boolean;
  /**
   * Partitions of provisioned topics (only ever increased on update).
   * @default 3
   */
  readonly topicPartitions?: number;
  /**
   * Replication factor of provisioned topics (create only).
   * @default 3
   */
  readonly topicReplicationFactor?: number;
  /**
   * `retention.ms` of provisioned topics.
   * @default 604800000 (7 days)
   */
  readonly topicRetentionMs?: number;
  /**
   * `max.message.bytes` of provisioned topics.
   * @default - `kafkaMaxMessageBytes`
   */
  readonly topicMaxMessageBytes?: number;
  /**
   * What to do with provisioned topics on removal from the stack.
   * @default 'retain'
   */
  readonly topicRemovalPolicy?: TopicRemovalPolicy;

  // ---------------------------------------------------------------- operations

  /**
   * Existing SNS topic ARN for alarm actions.
   * @default - none
   */
  readonly alarmTopicArn?: string;
  /**
   * Create a KMS-encrypted SNS topic for alarm actions (ignored when `alarmTopicArn` is set).
   * @default false
   */
  readonly createAlarmTopic?: boolean;
  /**
   * E-mail subscribed to the created alarm topic.
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * Alarm period in seconds.
   * @default 300
   */
  readonly alarmPeriodSeconds?: number;
  /**
   * Evaluation periods of every alarm.
   * @default 3
   */
  readonly alarmEvaluationPeriods?: number;
  /**
   * Function errors per period that trigger the errors alarm (>=).
   * @default 1
   */
  readonly functionErrorsThreshold?: number;
  /**
   * Throttles per period that trigger the throttles alarm (>=).
   * @default 1
   */
  readonly throttlesThreshold?: number;
  /**
   * Offset lag (records) of the consumer group that triggers the lag alarm (>).
   * @default 10000
   */
  readonly offsetLagThreshold?: number;
  /**
   * Percentage of events sent to the error topic, ErrorEvents / (ErrorEvents + EnrichedEvents), that triggers the alarm (>).
   * @default 5
   */
  readonly errorEventRatePercentThreshold?: number;
  /**
   * Create a CloudWatch dashboard.
   * @default true
   */
  readonly dashboard?: boolean;

  // ---------------------------------------------------------------- redrive

  /**
   * Deploy the redrive function (functions/redrive): an operator invokes it with the options of
   * `npm run redrive` as JSON to put error events or on-failure records back on the input topic.
   * @default false
   */
  readonly redriveFunction?: boolean;
}

/** Configuration with every default applied and validated. */
export interface ResolvedPipelineConfig
  extends Required<
    Omit<
      PipelineConfig,
      | 'mskClusterArn'
      | 'kafkaBootstrapServers'
      | 'kafkaSecretArn'
      | 'kafkaRootCaSecretArn'
      | 'kafkaSecretKmsKeyArn'
      | 'brokerSecurityGroupId'
      | 'startingPositionTimestamp'
      | 'onFailureQueueArn'
      | 'onFailureBucketArn'
      | 'functionName'
      | 'reservedConcurrency'
      | 'vpcId'
      | 'subnetIds'
      | 'availabilityZones'
      | 'alarmTopicArn'
      | 'alarmEmail'
      | 'tags'
      | 'extraEnvironment'
    >
  > {
  /** Environment name (`-c env=<name>`). */
  readonly envName: string;
  readonly mskClusterArn?: string;
  readonly kafkaBootstrapServers?: string[];
  readonly kafkaSecretArn?: string;
  readonly kafkaRootCaSecretArn?: string;
  readonly kafkaSecretKmsKeyArn?: string;
  readonly brokerSecurityGroupId?: string;
  readonly startingPositionTimestamp?: number;
  readonly onFailureQueueArn?: string;
  readonly onFailureBucketArn?: string;
  readonly functionName?: string;
  readonly reservedConcurrency?: number;
  readonly vpcId?: string;
  readonly subnetIds?: string[];
  readonly availabilityZones?: string[];
  readonly alarmTopicArn?: string;
  readonly alarmEmail?: string;
  readonly tags: Record<string, string>;
  readonly extraEnvironment: Record<string, string>;
}

/** Default service name. */
export const DEFAULT_SERVICE_NAME = 'mw-page-content-change-enrich';

/** Defaults of every optional key that has a static default. */
export const DEFAULTS = {
  serviceName: DEFAULT_SERVICE_NAME,
  kafkaScramMechanism: 'SCRAM-SHA-512',
  kafkaTopicPrefix: '',
  inputTopic: 'mediawiki.page_change.v1',
  outputTopic: 'mediawiki.page_content_change.v1',
  errorTopic: 'mw_page_content_change_enrich.error',
  outputStream: 'mediawiki.page_content_change.v1',
  errorStream: 'mw_page_content_change_enrich.error',
  kafkaMaxMessageBytes: 1_048_576,
  kafkaCompression: 'gzip',
  consumerGroupId: DEFAULT_SERVICE_NAME,
  startingPosition: 'LATEST',
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  provisionedPollers: true,
  minPollers: 1,
  maxPollers: 3,
  retryAttempts: 3,
  maxRecordAgeSeconds: -1,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  onFailureDestination: 'kafka',
  onFailureTopic: 'mw_page_content_change_enrich.dlq',
  memorySize: 512,
  timeoutSeconds: 120,
  logLevel: 'INFO',
  logRetentionDays: 30,
  mwApiUrlTemplate: 'https://{domain}/w/api.php',
  // The function's own default, so the stack and the handler never disagree.
  mwApiAllowedDomains: [...WIKIMEDIA_DOMAINS],
  mwApiTimeoutMs: 5_000,
  mwApiMaxRetries: 3,
  mwApiRetryBaseMs: 200,
  mwApiBatchSize: 50,
  mwApiConcurrency: 8,
  mwApiMaxlag: 5,
  provisionTopics: false,
  topicPartitions: 3,
  topicReplicationFactor: 3,
  topicRetentionMs: 604_800_000,
  topicRemovalPolicy: 'retain',
  createAlarmTopic: false,
  alarmPeriodSeconds: 300,
  alarmEvaluationPeriods: 3,
  functionErrorsThreshold: 1,
  throttlesThreshold: 1,
  offsetLagThreshold: 10_000,
  errorEventRatePercentThreshold: 5,
  dashboard: true,
  redriveFunction: false,
} as const satisfies Partial<PipelineConfig>;

type ValueKind = 'string' | 'number' | 'boolean' | 'string[]' | 'number[]' | 'record';

/**
 * Every configuration key with the kind of value it takes, used to coerce `-c key=value` strings.
 * Being a `Record<keyof PipelineConfig, ...>`, it fails to compile when a key is added without it.
 */
export const CONFIG_KEY_KINDS: Record<keyof PipelineConfig, ValueKind> = {
  account: 'string',
  region: 'string',
  stackName: 'string',
  serviceName: 'string',
  tags: 'record',
  kafkaClusterType: 'string',
  mskClusterArn: 'string',
  kafkaBootstrapServers: 'string[]',
  kafkaAuth: 'string',
  kafkaScramMechanism: 'string',
  kafkaSecretArn: 'string',
  kafkaRootCaSecretArn: 'string',
  kafkaSecretKmsKeyArn: 'string',
  kafkaBrokerPorts: 'number[]',
  brokerSecurityGroupId: 'string',
  kafkaTopicPrefix: 'string',
  inputTopic: 'string',
  outputTopic: 'string',
  errorTopic: 'string',
  outputStream: 'string',
  errorStream: 'string',
  emitterId: 'string',
  kafkaMaxMessageBytes: 'number',
  kafkaCompression: 'string',
  consumerGroupId: 'string',
  startingPosition: 'string',
  startingPositionTimestamp: 'number',
  batchSize: 'number',
  maxBatchingWindowSeconds: 'number',
  provisionedPollers: 'boolean',
  minPollers: 'number',
  maxPollers: 'number',
  retryAttempts: 'number',
  maxRecordAgeSeconds: 'number',
  bisectBatchOnError: 'boolean',
  reportBatchItemFailures: 'boolean',
  onFailureDestination: 'string',
  onFailureTopic: 'string',
  onFailureQueueArn: 'string',
  onFailureBucketArn: 'string',
  functionName: 'string',
  memorySize: 'number',
  timeoutSeconds: 'number',
  reservedConcurrency: 'number',
  logLevel: 'string',
  extraEnvironment: 'record',
  logRetentionDays: 'number',
  mwApiUrlTemplate: 'string',
  mwApiAllowedDomains: 'string[]',
  mwApiUserAgent: 'string',
  mwApiTimeoutMs: 'number',
  mwApiMaxRetries: 'number',
  mwApiRetryBaseMs: 'number',
  mwApiBatchSize: 'number',
  mwApiConcurrency: 'number',
  mwApiMaxlag: 'number',
  vpcId: 'string',
  subnetIds: 'string[]',
  availabilityZones: 'string[]',
  provisionTopics: 'boolean',
  topicPartitions: 'number',
  topicReplicationFactor: 'number',
  topicRetentionMs: 'number',
  topicMaxMessageBytes: 'number',
  topicRemovalPolicy: 'string',
  alarmTopicArn: 'string',
  createAlarmTopic: 'boolean',
  alarmEmail: 'string',
  alarmPeriodSeconds: 'number',
  alarmEvaluationPeriods: 'number',
  functionErrorsThreshold: 'number',
  throttlesThreshold: 'number',
  offsetLagThreshold: 'number',
  errorEventRatePercentThreshold: 'number',
  dashboard: 'boolean',
  redriveFunction: 'boolean',
};

/** Raised for an invalid configuration; the message names the offending key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Directory holding `<env>.json` files. */
export const ENVIRONMENTS_DIR = join(import.meta.dirname, 'environments');

/** Names of the environments available in `dir`. */
export function listEnvironments(dir: string = ENVIRONMENTS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/** Reads `infra/environments/<envName>.json` (a partial `PipelineConfig`). */
export function loadEnvironmentFile(envName: string, dir: string = ENVIRONMENTS_DIR): Partial<PipelineConfig> {
  if (!/^[A-Za-z0-9._-]+$/.test(envName)) throw new ConfigError(`invalid environment name '${envName}'`);
  const file = join(dir, `${envName}.json`);
  if (!existsSync(file)) {
    throw new ConfigError(
      `unknown environment '${envName}' (no ${file}); available: ${listEnvironments(dir).join(', ') || 'none'}`,
    );
  }
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${file} must contain a JSON object`);
  }
  const unknownKeys = Object.keys(parsed).filter((k) => !(k in CONFIG_KEY_KINDS) && !k.startsWith('$') && !k.startsWith('//'));
  if (unknownKeys.length > 0) throw new ConfigError(`${file}: unknown configuration keys ${unknownKeys.join(', ')}`);
  return Object.fromEntries(Object.entries(parsed).filter(([k]) => k in CONFIG_KEY_KINDS)) as Partial<PipelineConfig>;
}

function coerce(key: string, kind: ValueKind, value: unknown): unknown {
  if (typeof value !== 'string') return value; // already typed (cdk.json context or a test)
  const tryJson = (): unknown => {
    try {
      return JSON.parse(value);
    } catch {
      return undefined;
    }
  };
  switch (kind) {
    case 'string':
      return value;
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`-c ${key}=${value}: not a number`);
      return n;
    }
    case 'boolean':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new ConfigError(`-c ${key}=${value}: expected true or false`);
    case 'string[]':
    case 'number[]': {
      const json = tryJson();
      const list = Array.isArray(json) ? json : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      return kind === 'number[]' ? list.map((v) => coerce(key, 'number', String(v))) : list.map(String);
    }
    case 'record': {
      const json = tryJson();
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        throw new ConfigError(`-c ${key}=${value}: expected a JSON object`);
      }
      return json;
    }
  }
}

/**
 * Applies `-c key=value` overrides to `base`. Only known configuration keys are read; CLI values
 * (always strings) are coerced to the key's type, lists accept JSON or comma-separated values.
 */
export function applyContextOverrides(
  base: Partial<PipelineConfig>,
  tryGetContext: (key: string) => unknown,
): Partial<PipelineConfig> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, kind] of Object.entries(CONFIG_KEY_KINDS)) {
    const value = tryGetContext(key);
    if (value !== undefined) out[key] = coerce(key, kind, value);
  }
  return out as Partial<PipelineConfig>;
}

/** Parts of an MSK cluster ARN. */
export interface MskClusterArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly clusterName: string;
  readonly clusterUuid: string;
}

const MSK_CLUSTER_ARN = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9-]+)\/([A-Za-z0-9-]+)$/;

/** Parses `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`. */
export function parseMskClusterArn(arn: string): MskClusterArnParts {
  const m = MSK_CLUSTER_ARN.exec(arn);
  if (!m) throw new ConfigError(`mskClusterArn '${arn}' is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)`);
  return { partition: m[1]!, region: m[2]!, account: m[3]!, clusterName: m[4]!, clusterUuid: m[5]! };
}

/** ARN of a topic of an MSK cluster (resource of `kafka-cluster:*Topic*`/`*Data` actions). */
export function mskTopicArn(clusterArn: string, topic: string): string {
  const p = parseMskClusterArn(clusterArn);
  return `arn:${p.partition}:kafka:${p.region}:${p.account}:topic/${p.clusterName}/${p.clusterUuid}/${topic}`;
}

/** ARN of a consumer group of an MSK cluster (resource of `kafka-cluster:*Group` actions). */
export function mskGroupArn(clusterArn: string, group: string): string {
  const p = parseMskClusterArn(clusterArn);
  return `arn:${p.partition}:kafka:${p.region}:${p.account}:group/${p.clusterName}/${p.clusterUuid}/${group}`;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/;

/** Retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS: number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Broker port MSK uses for a given authentication mode (inside the VPC). */
export const MSK_PORTS: Record<KafkaAuth, number> = { none: 9092, tls: 9094, scram: 9096, iam: 9098 };

function intIn(key: string, value: number, min: number, max: number, extra: number[] = []): void {
  if (!Number.isInteger(value) || ((value < min || value > max) && !extra.includes(value))) {
    const alt = extra.length ? ` (or ${extra.join(', ')})` : '';
    throw new ConfigError(`${key} must be an integer between ${min} and ${max}${alt}, got ${value}`);
  }
}

/**
 * Applies defaults and validates. Throws `ConfigError` with a message naming the key on the first problem.
 */
export function resolveConfig(envName: string, input: Partial<PipelineConfig>): ResolvedPipelineConfig {
  type Defaulted = Omit<Partial<PipelineConfig>, keyof typeof DEFAULTS> & {
    [K in keyof typeof DEFAULTS & keyof PipelineConfig]-?: NonNullable<PipelineConfig[K]>;
  };
  const c = { ...DEFAULTS, ...stripUndefined(input) } as Defaulted;

  const required = (key: keyof PipelineConfig): void => {
    const v = c[key];
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) {
      throw new ConfigError(`${key} is required (environment '${envName}')`);
    }
  };
  required('account');
  required('region');
  required('kafkaClusterType');
  required('mwApiUserAgent');
  if (!/^\d{12}$/.test(c.account!)) throw new ConfigError(`account must be a 12-digit AWS account id, got '${c.account}'`);

  // Wikimedia User-Agent policy: identify the tool and give contact information.
  const ua = c.mwApiUserAgent!;
  if (!/[^\s@]+@[^\s@]+\.[^\s@]+/.test(ua) && !/https?:\/\/\S+/.test(ua)) {
    throw new ConfigError(
      'mwApiUserAgent must contain contact information (an e-mail address or an http(s) URL), see https://meta.wikimedia.org/wiki/User-Agent_policy',
    );
  }

  const clusterType = c.kafkaClusterType!;
  if (clusterType !== 'msk' && clusterType !== 'self-managed') {
    throw new ConfigError(`kafkaClusterType must be 'msk' or 'self-managed', got '${clusterType}'`);
  }
  const kafkaAuth: KafkaAuth = c.kafkaAuth ?? (clusterType === 'msk' ? 'iam' : 'scram');
  if (!['none', 'tls', 'scram', 'iam'].includes(kafkaAuth)) throw new ConfigError(`kafkaAuth must be none|tls|scram|iam, got '${kafkaAuth}'`);

  let kafkaBrokerPorts = c.kafkaBrokerPorts;
  if (clusterType === 'msk') {
    required('mskClusterArn');
    const arn = parseMskClusterArn(c.mskClusterArn!);
    if (arn.region !== c.region || arn.account !== c.account) {
      throw new ConfigError(`mskClusterArn must be in the stack's account and region (${c.account}/${c.region})`);
    }
    if (kafkaAuth !== 'iam' && kafkaAuth !== 'scram') {
      throw new ConfigError(`kafkaAuth '${kafkaAuth}' is not supported with MSK; use 'iam' or 'scram'`);
    }
    if (c.kafkaBootstrapServers?.length) throw new ConfigError('kafkaBootstrapServers is only for self-managed clusters (MSK brokers are discovered from mskClusterArn)');
    if (c.kafkaScramMechanism !== 'SCRAM-SHA-512') throw new ConfigError('MSK only supports kafkaScramMechanism SCRAM-SHA-512');
    if (c.kafkaRootCaSecretArn) throw new ConfigError('kafkaRootCaSecretArn is only for self-managed clusters');
    required('vpcId');
    kafkaBrokerPorts ??= [MSK_PORTS[kafkaAuth]];
  } else {
    required('kafkaBootstrapServers');
    if (c.mskClusterArn) throw new ConfigError('mskClusterArn is only for kafkaClusterType msk');
    if (kafkaAuth === 'iam') throw new ConfigError("kafkaAuth 'iam' requires kafkaClusterType 'msk'");
    const ports = new Set<number>();
    for (const server of c.kafkaBootstrapServers!) {
      const m = /^[A-Za-z0-9.-]+:(\d{1,5})$/.exec(server);
      if (!m) throw new ConfigError(`kafkaBootstrapServers entry '${server}' must be host:port`);
      ports.add(Number(m[1]));
    }
    kafkaBrokerPorts ??= [...ports].sort((a, b) => a - b);
    if (kafkaAuth === 'none' && !c.vpcId) {
      throw new ConfigError("kafkaAuth 'none' requires vpcId (brokers reachable over the internet need authentication)");
    }
  }
  if (c.kafkaScramMechanism !== 'SCRAM-SHA-512' && c.kafkaScramMechanism !== 'SCRAM-SHA-256') {
    throw new ConfigError(`kafkaScramMechanism must be SCRAM-SHA-512 or SCRAM-SHA-256, got '${c.kafkaScramMechanism}'`);
  }
  if (kafkaAuth === 'scram') required('kafkaSecretArn');
  if (kafkaAuth === 'tls' && !c.kafkaSecretArn && !c.vpcId) {
    throw new ConfigError("kafkaAuth 'tls' without a client certificate (kafkaSecretArn) requires vpcId");
  }
  if (clusterType === 'msk' && kafkaAuth === 'scram' && !/:secret:AmazonMSK_/.test(c.kafkaSecretArn!)) {
    throw new ConfigError('MSK SCRAM secrets must be named AmazonMSK_* (kafkaSecretArn)');
  }
  if (kafkaAuth === 'iam' || kafkaAuth === 'none') {
    if (c.kafkaSecretArn) throw new ConfigError(`kafkaSecretArn is not used with kafkaAuth '${kafkaAuth}'`);
  }
  for (const key of ['kafkaSecretArn', 'kafkaRootCaSecretArn'] as const) {
    if (c[key] && !SECRET_ARN.test(c[key]!)) throw new ConfigError(`${key} must be a complete Secrets Manager secret ARN (with the 6-character suffix)`);
  }
  if (c.kafkaSecretKmsKeyArn && !KMS_KEY_ARN.test(c.kafkaSecretKmsKeyArn)) throw new ConfigError('kafkaSecretKmsKeyArn must be a KMS key ARN');
  for (const port of kafkaBrokerPorts) intIn('kafkaBrokerPorts', port, 1, 65535);

  if (c.vpcId) {
    required('subnetIds');
    required('availabilityZones');
    if (c.subnetIds!.length !== c.availabilityZones!.length) {
      throw new ConfigError('subnetIds and availabilityZones must have the same length (one AZ per subnet)');
    }
  } else if (c.subnetIds?.length || c.brokerSecurityGroupId) {
    throw new ConfigError('subnetIds / brokerSecurityGroupId require vpcId');
  }

  const prefix = c.kafkaTopicPrefix;
  for (const key of ['inputTopic', 'outputTopic', 'errorTopic', 'onFailureTopic'] as const) {
    if (!TOPIC_NAME.test(prefix + c[key])) throw new ConfigError(`${key} '${prefix}${c[key]}' is not a valid Kafka topic name`);
  }
  if (!GROUP_ID.test(c.consumerGroupId)) throw new ConfigError(`consumerGroupId '${c.consumerGroupId}' is not valid`);
  if (!['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'].includes(c.startingPosition)) {
    throw new ConfigError(`startingPosition must be LATEST, TRIM_HORIZON or AT_TIMESTAMP, got '${c.startingPosition}'`);
  }
  if ((c.startingPosition === 'AT_TIMESTAMP') !== (c.startingPositionTimestamp !== undefined)) {
    throw new ConfigError('startingPositionTimestamp is required with, and only with, startingPosition AT_TIMESTAMP');
  }
  intIn('batchSize', c.batchSize, 1, 10_000);
  intIn('maxBatchingWindowSeconds', c.maxBatchingWindowSeconds, 0, 300);
  intIn('minPollers', c.minPollers, 1, 200);
  intIn('maxPollers', c.maxPollers, 1, 2000);
  if (c.minPollers > c.maxPollers) throw new ConfigError('minPollers must not exceed maxPollers');
  intIn('retryAttempts', c.retryAttempts, 0, 10_000, [-1]);
  intIn('maxRecordAgeSeconds', c.maxRecordAgeSeconds, 60, 604_800, [-1]);
  if (!['kafka', 'sqs', 's3', 'none'].includes(c.onFailureDestination)) {
    throw new ConfigError(`onFailureDestination must be kafka|sqs|s3|none, got '${c.onFailureDestination}'`);
  }
  if (c.onFailureQueueArn && c.onFailureDestination !== 'sqs') throw new ConfigError("onFailureQueueArn requires onFailureDestination 'sqs'");
  if (c.onFailureBucketArn && c.onFailureDestination !== 's3') throw new ConfigError("onFailureBucketArn requires onFailureDestination 's3'");

  intIn('memorySize', c.memorySize, 128, 10_240);
  intIn('timeoutSeconds', c.timeoutSeconds, 1, 900);
  if (c.reservedConcurrency !== undefined) intIn('reservedConcurrency', c.reservedConcurrency, 0, 100_000);
  if (!LOG_RETENTION_DAYS.includes(c.logRetentionDays)) {
    throw new ConfigError(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${c.logRetentionDays}`);
  }
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(c.logLevel)) throw new ConfigError(`logLevel must be DEBUG|INFO|WARN|ERROR, got '${c.logLevel}'`);
  if (!c.mwApiUrlTemplate.startsWith('https://') || !c.mwApiUrlTemplate.includes('{domain}')) {
    throw new ConfigError("mwApiUrlTemplate must be an https:// URL containing '{domain}'");
  }
  if (c.mwApiAllowedDomains.length === 0) throw new ConfigError('mwApiAllowedDomains must not be empty');
  intIn('mwApiTimeoutMs', c.mwApiTimeoutMs, 100, 900_000);
  if (c.mwApiTimeoutMs >= c.timeoutSeconds * 1000) throw new ConfigError('mwApiTimeoutMs must be shorter than the function timeout');
  intIn('mwApiMaxRetries', c.mwApiMaxRetries, 0, 20);
  intIn('mwApiRetryBaseMs', c.mwApiRetryBaseMs, 0, 60_000);
  intIn('mwApiBatchSize', c.mwApiBatchSize, 1, 500);
  intIn('mwApiConcurrency', c.mwApiConcurrency, 1, 64);
  intIn('mwApiMaxlag', c.mwApiMaxlag, 0, 3600);
  intIn('kafkaMaxMessageBytes', c.kafkaMaxMessageBytes, 1024, 100 * 1024 * 1024);
  if (!['none', 'gzip'].includes(c.kafkaCompression)) {
    throw new ConfigError(`kafkaCompression must be gzip or none, got '${c.kafkaCompression}'`);
  }
  intIn('topicPartitions', c.topicPartitions, 1, 10_000);
  intIn('topicReplicationFactor', c.topicReplicationFactor, 1, 10);
  intIn('topicRetentionMs', c.topicRetentionMs, -1, Number.MAX_SAFE_INTEGER);
  if (!['retain', 'destroy-if-empty', 'destroy'].includes(c.topicRemovalPolicy)) {
    throw new ConfigError(`topicRemovalPolicy must be retain|destroy-if-empty|destroy, got '${c.topicRemovalPolicy}'`);
  }
  if (c.provisionTopics && !c.vpcId) throw new ConfigError('provisionTopics requires vpcId (the provisioner runs next to the brokers)');
  intIn('alarmPeriodSeconds', c.alarmPeriodSeconds, 60, 86_400);
  intIn('alarmEvaluationPeriods', c.alarmEvaluationPeriods, 1, 100);
  if (c.alarmEmail && !(c.createAlarmTopic && !c.alarmTopicArn)) throw new ConfigError('alarmEmail requires createAlarmTopic (and no alarmTopicArn)');

  return {
    ...c,
    envName,
    account: c.account!,
    region: c.region!,
    kafkaClusterType: clusterType,
    mwApiUserAgent: ua,
    kafkaAuth,
    kafkaBrokerPorts,
    stackName: c.stackName ?? `MwPageContentChangeEnrich-${envName}`,
    emitterId: c.emitterId ?? `${c.serviceName}.${envName}`,
    topicMaxMessageBytes: c.topicMaxMessageBytes ?? c.kafkaMaxMessageBytes,
    mwApiAllowedDomains: [...c.mwApiAllowedDomains],
    tags: { ...(c.tags ?? {}) },
    extraEnvironment: Object.fromEntries(Object.entries(c.extraEnvironment ?? {}).map(([k, v]) => [k, String(v)])),
  } as ResolvedPipelineConfig;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Effective (prefixed) name of a topic. */
export function prefixed(config: Pick<ResolvedPipelineConfig, 'kafkaTopicPrefix'>, topic: string): string {
  return `${config.kafkaTopicPrefix}${topic}`;
}

/**
 * Loads the environment file selected by `-c env=<name>`, applies per-key context overrides
 * and defaults, and validates.
 */
export function configFromContext(tryGetContext: (key: string) => unknown, dir: string = ENVIRONMENTS_DIR): ResolvedPipelineConfig {
  const envName = tryGetContext('env');
  if (typeof envName !== 'string' || envName === '') {
    throw new ConfigError(`select an environment with -c env=<name>; available: ${listEnvironments(dir).join(', ') || 'none'}`);
  }
  return resolveConfig(envName, applyContextOverrides(loadEnvironmentFile(envName, dir), tryGetContext));
}
