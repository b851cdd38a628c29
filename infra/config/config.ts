/**
 * Typed, per-environment configuration of the pipeline's infrastructure: account, network, Kafka cluster,
 * event source mapping, topics and alarms. The function's own settings (MediaWiki client, events, producer)
 * are declared once in lib/settings/catalogue.ts; their camelCase keys (`MW_API_BATCH_SIZE` → `mwApiBatchSize`) are part
 * of this configuration, typed, defaulted and validated by the catalogue.
 *
 * Environments are `infra/environments/<name>.json` files (infra/config/environment-files.ts loads them and applies
 * `-c <key>=<value>` overrides). Topic names are unprefixed; the Kafka topic is `kafkaTopicPrefix + name`.
 * Ranges aws-cdk-lib already checks (pollers, batching window, retries, record age, consumer group id, starting
 * position timestamp) are left to it: it names the property and the value when the stack is built.
 */
import {
  ConfigurationError,
  type FunctionSettingsConfig,
  functionEnvironmentFor,
  readSettings,
  SETTINGS,
  type SettingValues,
} from '../../lib/settings/catalogue.js';
import { ConfigError, ConfigProblems } from './config-error.ts';
import { type IngestConfig, ingestConfigProblems } from './ingest-config.ts';
import {
  type OnFailureDestinationType,
  resolveFailureHandling,
  type StartingPositionName,
} from './event-source-config.ts';
import { type KafkaAuth, type KafkaClusterConfig, resolveKafkaCluster } from './kafka-cluster-config.ts';

export { ConfigError } from './config-error.ts';
export type { OnFailureDestinationType, StartingPositionName } from './event-source-config.ts';
export type { KafkaAuth, KafkaClusterType } from './kafka-cluster-config.ts';
export { MSK_PORTS } from './kafka-cluster-config.ts';

/** `retain` never deletes; `destroy-if-empty` deletes a topic whose partitions hold no record; `destroy` deletes. */
export type TopicRemovalPolicy = 'retain' | 'destroy-if-empty' | 'destroy';

/** Infrastructure keys of an environment. Required: account, region, kafkaClusterType and the cluster coordinates. */
export interface InfraConfig extends KafkaClusterConfig {
  // ---------------------------------------------------------------- account
  /** AWS account id (explicit, so synth never needs credentials). */
  readonly account: string;
  readonly region: string;
  /** @default `MwPageContentChangeEnrich-<env>` */
  readonly stackName?: string;
  /** `POWERTOOLS_SERVICE_NAME`, metrics dimension and resource name prefix. @default 'mw-page-content-change-enrich' */
  readonly serviceName?: string;
  /** Tags of every resource (besides `service` and `environment`). @default - none */
  readonly tags?: Record<string, string>;

  // ---------------------------------------------------------------- network
  /** VPC of the cluster; required for MSK. @default - none (self-managed brokers over the internet) */
  readonly vpcId?: string;
  /** Private subnets (NAT route for the Action API) of the function and the pollers; required with `vpcId`. */
  readonly subnetIds?: string[];
  /** Availability zones of `subnetIds`, same order. */
  readonly availabilityZones?: string[];

  // ---------------------------------------------------------------- topics
  /** `KAFKA_TOPIC_PREFIX`, e.g. `eqiad.`. @default '' */
  readonly kafkaTopicPrefix?: string;
  /** @default `DEFAULT_TOPICS.input` (lib/settings/catalogue.ts) */
  readonly inputTopic?: string;
  /** @default `DEFAULT_TOPICS.output` (lib/settings/catalogue.ts) */
  readonly outputTopic?: string;
  /** @default `DEFAULT_TOPICS.error` (lib/settings/catalogue.ts) */
  readonly errorTopic?: string;
  /** Create the output, error and (Kafka) on-failure topics when missing (custom resource). @default false */
  readonly provisionTopics?: boolean;
  /** Partitions of provisioned topics (only ever increased). @default 3 */
  readonly topicPartitions?: number;
  /** @default 3 */
  readonly topicReplicationFactor?: number;
  /** @default 604800000 (7 days) */
  readonly topicRetentionMs?: number;
  /** @default - `kafkaMaxMessageBytes` */
  readonly topicMaxMessageBytes?: number;
  /** @default 'retain' */
  readonly topicRemovalPolicy?: TopicRemovalPolicy;

  // ---------------------------------------------------------------- event source mapping
  /**
   * Base of the consumer group: the mapping joins `<consumerGroupId>.<generation>`, a new generation for every
   * change that replaces the mapping (docs/deploy.md). @default 'mw-page-content-change-enrich'
   */
  readonly consumerGroupId?: string;
  /**
   * Where a new consumer group starts. `LATEST` can miss records written while the mapping is created or updated
   * (AWS, "Apache Kafka polling and stream starting positions in Lambda"); synth warns. @default 'TRIM_HORIZON'
   */
  readonly startingPosition?: StartingPositionName;
  /** Unix seconds, with `AT_TIMESTAMP`. @default - none */
  readonly startingPositionTimestamp?: number;
  /** Records per invocation (1-10000). @default 100 */
  readonly batchSize?: number;
  /** @default 1 */
  readonly maxBatchingWindowSeconds?: number;
  /**
   * Provisioned mode. Retries, maximum record age, bisect, partial batch responses and on-failure destinations
   * exist only there (AWS, "Apache Kafka event poller scaling modes in Lambda"); with false they must stay unset.
   * @default true
   */
  readonly provisionedPollers?: boolean;
  /** @default 1 */
  readonly minPollers?: number;
  /** Useless beyond the input topic's partition count. @default 3 */
  readonly maxPollers?: number;
  /** Provisioned mode only; -1 retries until the record expires. @default 3 */
  readonly retryAttempts?: number;
  /** Provisioned mode only; 60-604800, -1 unlimited. @default -1 */
  readonly maxRecordAgeSeconds?: number;
  /** Provisioned mode only. @default true */
  readonly bisectBatchOnError?: boolean;
  /** Provisioned mode only. @default 'kafka' (provisioned), 'none' (on-demand) */
  readonly onFailureDestination?: OnFailureDestinationType;
  /** @default `DEFAULT_TOPICS.onFailure` (lib/settings/catalogue.ts) */
  readonly onFailureTopic?: string;
  /** Existing queue for `sqs`. @default - an encrypted queue is created */
  readonly onFailureQueueArn?: string;
  /** Existing bucket for `s3`. @default - an encrypted, private bucket is created */
  readonly onFailureBucketArn?: string;
  /**
   * SQS and S3 destinations are reached through a VPC endpoint in the cluster's VPC (AWS, "Capturing discarded
   * batches for Amazon MSK and self-managed Apache Kafka event sources"): `create` one in `subnetIds`, or
   * `existing` when the VPC has one (two endpoints with private DNS for one service conflict).
   * @default 'create'
   */
  readonly onFailureVpcEndpoint?: 'create' | 'existing';

  // ---------------------------------------------------------------- function resources
  /** @default - generated */
  readonly functionName?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * At most 840: Kafka event source mappings support functions that time out after at most 14 minutes (AWS,
   * "Configuring Amazon MSK event sources for Lambda"). @default 120
   */
  readonly timeoutSeconds?: number;
  /** Only when the account's quota allows (docs/deploy.md); synth warns with the quota it needs. @default - none */
  readonly reservedConcurrency?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;

  // ---------------------------------------------------------------- operations
  /** Existing SNS topic for alarm actions. @default - none */
  readonly alarmTopicArn?: string;
  /** Create a KMS-encrypted alarm topic (ignored with `alarmTopicArn`). @default false */
  readonly createAlarmTopic?: boolean;
  /** E-mail subscribed to the created alarm topic. @default - none */
  readonly alarmEmail?: string;
  /** @default 300 */
  readonly alarmPeriodSeconds?: number;
  /** @default 3 */
  readonly alarmEvaluationPeriods?: number;
  /** Function errors per period (>=). @default 1 */
  readonly functionErrorsThreshold?: number;
  /** Throttles per period (>=). @default 1 */
  readonly throttlesThreshold?: number;
  /** Consumer group offset lag, records (>). @default 10000 */
  readonly offsetLagThreshold?: number;
  /** ErrorEvents / (ErrorEvents + EnrichedEvents), percent (>). @default 5 */
  readonly errorEventRatePercentThreshold?: number;
  /** @default true */
  readonly dashboard?: boolean;

  // ---------------------------------------------------------------- redrive

  /**
   * Deploy the redrive function (functions/redrive): an operator invokes it with the options of
   * `npm run redrive` as JSON to put error events or on-failure records back on the input topic.
   * @default false
   */
  readonly redriveFunction?: boolean;

  // ---------------------------------------------------------------- ingest

  /**
   * Deploy the EventStreams ingest (functions/eventstreams-ingest, docs/ingest.md): Wikimedia's public
   * EventStreams into the input topic, each event once, on a schedule.
   * @default - none
   */
  readonly ingest?: IngestConfig;
}

/**
 * One environment: infrastructure keys and the function's settings (lib/settings/catalogue.ts). `mwApiUserAgent` is
 * required here: Wikimedia's User-Agent policy asks for contact information, and a deployment must give it.
 */
export type PipelineConfig = InfraConfig & FunctionSettingsConfig & { readonly mwApiUserAgent: string };

/** Default service name: the function's Powertools service name (lib/settings/catalogue.ts). */
export const DEFAULT_SERVICE_NAME = SETTINGS.POWERTOOLS_SERVICE_NAME.default;

/**
 * Defaults of the infrastructure keys that have a static default. Keys that are also function settings take the
 * catalogue's default (lib/settings/catalogue.ts), which is written only there.
 */
export const DEFAULTS = {
  serviceName: DEFAULT_SERVICE_NAME,
  kafkaScramMechanism: SETTINGS.KAFKA_SCRAM_MECHANISM.default,
  brokerSecurityGroupSelfIngress: true,
  kafkaTopicPrefix: SETTINGS.KAFKA_TOPIC_PREFIX.default,
  inputTopic: SETTINGS.INPUT_TOPIC.default,
  outputTopic: SETTINGS.OUTPUT_TOPIC.default,
  errorTopic: SETTINGS.ERROR_TOPIC.default,
  provisionTopics: false,
  topicPartitions: 3,
  topicReplicationFactor: 3,
  topicRetentionMs: 604_800_000,
  topicRemovalPolicy: 'retain',
  consumerGroupId: DEFAULT_SERVICE_NAME,
  startingPosition: 'TRIM_HORIZON',
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  provisionedPollers: true,
  minPollers: 1,
  maxPollers: 3,
  onFailureTopic: SETTINGS.ON_FAILURE_TOPIC.default,
  onFailureVpcEndpoint: 'create',
  memorySize: 512,
  timeoutSeconds: 120,
  logRetentionDays: 30,
  createAlarmTopic: false,
  alarmPeriodSeconds: 300,
  alarmEvaluationPeriods: 3,
  functionErrorsThreshold: 1,
  throttlesThreshold: 1,
  offsetLagThreshold: 10_000,
  errorEventRatePercentThreshold: 5,
  dashboard: true,
  redriveFunction: false,
} as const satisfies Partial<InfraConfig>;

type Defaulted = typeof DEFAULTS;
type WithDefaults = Omit<InfraConfig, keyof Defaulted> & {
  readonly [K in keyof Defaulted]: NonNullable<InfraConfig[K]>;
};

/** Configuration with defaults applied and validated. */
export type ResolvedPipelineConfig = WithDefaults &
  FunctionSettingsConfig & {
    /** Environment name (`-c env=<name>`). */
    readonly envName: string;
    readonly stackName: string;
    readonly kafkaAuth: KafkaAuth;
    readonly kafkaBrokerPorts: number[];
    readonly onFailureDestination: OnFailureDestinationType;
    readonly topicMaxMessageBytes: number;
    readonly tags: Record<string, string>;
    readonly mwApiUserAgent: string;
    /** `${serviceName}.${envName}` unless set. */
    readonly emitterId: string;
    /** The function's settings as the runtime reads them (catalogue defaults applied). */
    readonly settings: SettingValues;
    /** Environment variables of the function settings the environment gives, built once (the stack adds the wired). */
    readonly functionSettingsEnvironment: Readonly<Record<string, string>>;
  };

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function intIn(problems: ConfigProblems, key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.add(`${key} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

function oneOf<T extends string>(problems: ConfigProblems, key: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) problems.add(`${key} must be ${allowed.join('|')}, got '${value}'`);
}

/**
 * Applies defaults and validates; throws one `ConfigError` naming every bad key (the required keys first: without
 * them nothing else can be checked).
 */
export function resolveConfig(envName: string, input: Partial<PipelineConfig>): ResolvedPipelineConfig {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<PipelineConfig>;
  const c = { ...DEFAULTS, ...given } as WithDefaults & Partial<PipelineConfig>;
  const problems = new ConfigProblems();
  const required = (key: keyof PipelineConfig): void => {
    const v = c[key];
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) {
      throw new ConfigError(`${key} is required (environment '${envName}')`);
    }
  };
  for (const key of ['account', 'region', 'kafkaClusterType', 'mwApiUserAgent'] as const) {
    problems.check(() => required(key));
  }
  problems.throwIfAny();
  if (!/^\d{12}$/.test(c.account)) problems.add(`account must be a 12-digit AWS account id, got '${c.account}'`);
  for (const p of ingestConfigProblems(c.ingest)) problems.add(p);

  // Wikimedia User-Agent policy: identify the tool and give contact information.
  const ua = c.mwApiUserAgent!;
  if (!/[^\s@]+@[^\s@]+\.[^\s@]+/.test(ua) && !/https?:\/\/\S+/.test(ua)) {
    problems.add(
      'mwApiUserAgent must contain contact information (an e-mail address or an http(s) URL), ' +
        'see https://meta.wikimedia.org/wiki/User-Agent_policy',
    );
  }

  // ---------------------------------------------------------------- cluster and network
  const cluster = problems.check(() => resolveKafkaCluster(c, required));
  problems.check(() => {
    if (c.vpcId) {
      required('subnetIds');
      required('availabilityZones');
      if (c.subnetIds!.length !== c.availabilityZones!.length) {
        throw new ConfigError('subnetIds and availabilityZones must have the same length (one AZ per subnet)');
      }
    } else if (c.subnetIds?.length || c.brokerSecurityGroupId) {
      throw new ConfigError('subnetIds / brokerSecurityGroupId require vpcId');
    }
  });

  // ---------------------------------------------------------------- topics
  for (const key of ['inputTopic', 'outputTopic', 'errorTopic', 'onFailureTopic'] as const) {
    if (!TOPIC_NAME.test(c.kafkaTopicPrefix + c[key])) {
      problems.add(`${key} '${c.kafkaTopicPrefix}${c[key]}' is not a valid Kafka topic name`);
    }
  }
  intIn(problems, 'topicPartitions', c.topicPartitions, 1, 10_000);
  intIn(problems, 'topicReplicationFactor', c.topicReplicationFactor, 1, 10);
  intIn(problems, 'topicRetentionMs', c.topicRetentionMs, -1, Number.MAX_SAFE_INTEGER);
  oneOf(problems, 'topicRemovalPolicy', c.topicRemovalPolicy, ['retain', 'destroy-if-empty', 'destroy']);
  if (c.provisionTopics && !c.vpcId) {
    problems.add('provisionTopics requires vpcId (the provisioner runs next to the brokers)');
  }

  // ---------------------------------------------------------------- event source mapping
  oneOf(problems, 'startingPosition', c.startingPosition, ['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP']);
  intIn(problems, 'batchSize', c.batchSize, 1, 10_000);
  const failureHandling = resolveFailureHandling(c, given, problems);

  // ---------------------------------------------------------------- function resources and operations
  intIn(problems, 'memorySize', c.memorySize, 128, 10_240);
  // AWS, "Configuring Amazon MSK event sources for Lambda": at most 14 minutes behind a Kafka event source mapping.
  intIn(problems, 'timeoutSeconds', c.timeoutSeconds, 1, 840);
  if (!LOG_RETENTION_DAYS.includes(c.logRetentionDays)) {
    const allowed = LOG_RETENTION_DAYS.join(', ');
    problems.add(`logRetentionDays must be one of ${allowed}, got ${c.logRetentionDays}`);
  }
  intIn(problems, 'alarmEvaluationPeriods', c.alarmEvaluationPeriods, 1, 100);
  if (c.alarmEmail && !(c.createAlarmTopic && !c.alarmTopicArn)) {
    problems.add('alarmEmail requires createAlarmTopic (and no alarmTopicArn)');
  }

  // ---------------------------------------------------------------- the function's settings (lib/settings/catalogue.ts)
  const functionKeys = { ...given, emitterId: given.emitterId ?? `${c.serviceName}.${envName}` };
  const function_ = problems.check(() => functionSettings(functionKeys));
  if (function_) checkFunctionSettings(function_.settings, c.timeoutSeconds, problems);
  problems.throwIfAny();

  return {
    ...c,
    ...failureHandling,
    envName,
    kafkaAuth: cluster!.kafkaAuth,
    kafkaBrokerPorts: cluster!.kafkaBrokerPorts,
    mwApiUserAgent: ua,
    emitterId: functionKeys.emitterId,
    stackName: c.stackName ?? `MwPageContentChangeEnrich-${envName}`,
    topicMaxMessageBytes: c.topicMaxMessageBytes ?? function_!.settings.KAFKA_MAX_MESSAGE_BYTES,
    tags: { ...(c.tags ?? {}) },
    settings: function_!.settings,
    functionSettingsEnvironment: function_!.environment,
  };
}

/**
 * The function's environment for the settings the configuration gives, built once, and the settings the runtime
 * reads from it (catalogue defaults applied).
 */
function functionSettings(keys: Readonly<Record<string, unknown>>): {
  environment: Record<string, string>;
  settings: SettingValues;
} {
  try {
    const environment = functionEnvironmentFor(keys);
    return { environment, settings: readSettings(environment) };
  } catch (err) {
    if (err instanceof ConfigurationError) throw new ConfigError(err.message);
    throw err;
  }
}

/** What a deployment needs of the function's settings beyond their own ranges. */
function checkFunctionSettings(settings: SettingValues, timeoutSeconds: number, problems: ConfigProblems): void {
  // A deployment fetches from Wikimedia over HTTPS, one URL per wiki; or, like Wikimedia's own services, through
  // one service mesh proxy URL (plain http inside the VPC allowed) that picks the wiki by the Host header.
  const url = settings.MW_API_URL_TEMPLATE;
  if (settings.MW_API_HOST_HEADER === 'domain') {
    if (!/^https?:\/\/[^{}]+$/.test(url)) {
      problems.add("with mwApiHostHeader 'domain', mwApiUrlTemplate must be a fixed http(s):// URL without '{domain}'");
    }
  } else if (!url.startsWith('https://') || !url.includes('{domain}')) {
    problems.add("mwApiUrlTemplate must be an https:// URL containing '{domain}'");
  }
  if (settings.MW_API_TIMEOUT_MS >= timeoutSeconds * 1000) {
    problems.add('mwApiTimeoutMs must be shorter than the function timeout');
  }
}
