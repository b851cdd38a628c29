/**
 * Where a configuration comes from: `infra/environments/<name>.json`, selected with `cdk deploy -c env=<name>`,
 * and `-c <key>=<value>` overrides of any key, coerced to the key's type (lists as JSON or comma-separated).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, settingKey, tunableSettingNames } from '../../lib/settings/catalogue.js';
import { ConfigProblems } from './config-error.ts';
import {
  ConfigError,
  type InfraConfig,
  type PipelineConfig,
  resolveConfig,
  type ResolvedPipelineConfig,
} from './config.ts';

type ValueKind = 'string' | 'number' | 'boolean' | 'string[]' | 'number[]' | 'record';

const INFRA_KEY_KINDS: Record<keyof InfraConfig, ValueKind> = {
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
  brokerSecurityGroupSelfIngress: 'boolean',
  vpcId: 'string',
  subnetIds: 'string[]',
  availabilityZones: 'string[]',
  kafkaTopicPrefix: 'string',
  inputTopic: 'string',
  outputTopic: 'string',
  errorTopic: 'string',
  provisionTopics: 'boolean',
  topicPartitions: 'number',
  topicReplicationFactor: 'number',
  topicRetentionMs: 'number',
  topicMaxMessageBytes: 'number',
  topicRemovalPolicy: 'string',
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
  onFailureDestination: 'string',
  onFailureTopic: 'string',
  onFailureQueueArn: 'string',
  onFailureBucketArn: 'string',
  onFailureVpcEndpoint: 'string',
  functionName: 'string',
  memorySize: 'number',
  timeoutSeconds: 'number',
  reservedConcurrency: 'number',
  logRetentionDays: 'number',
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
  ingest: 'record',
};

/** Every configuration key with the kind of value `-c key=value` is coerced to (function keys from the catalogue). */
export const CONFIG_KEY_KINDS: Readonly<Record<string, ValueKind>> = {
  ...INFRA_KEY_KINDS,
  ...Object.fromEntries(
    tunableSettingNames().map((name) => {
      const type = SETTINGS[name].type;
      return [settingKey(name), type === 'integer' ? 'number' : type === 'list' ? 'string[]' : 'string'];
    }),
  ),
};

export const ENVIRONMENTS_DIR = join(import.meta.dirname, '..', 'environments');

/**
 * Subfolder of a user's own environments: `infra/environments/local/<name>.json`, gitignored (they hold account
 * ids), selected with `-c env=<name>` like the examples.
 */
export const LOCAL_ENVIRONMENTS = 'local';

function environmentNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''));
}

/** The environments of `dir` and of its `local/` subfolder. */
export function listEnvironments(dir: string = ENVIRONMENTS_DIR): string[] {
  return [...new Set([...environmentNames(join(dir, LOCAL_ENVIRONMENTS)), ...environmentNames(dir)])].sort();
}

/**
 * Reads `<dir>/local/<envName>.json` or `<dir>/<envName>.json` (one of them: a name in both is ambiguous); unknown
 * keys are an error (`$…` and `//…` keys are comments).
 */
export function loadEnvironmentFile(envName: string, dir: string = ENVIRONMENTS_DIR): Partial<PipelineConfig> {
  const { values, unknownKeys } = readEnvironmentFile(envName, dir);
  if (unknownKeys) throw new ConfigError(unknownKeys);
  return values;
}

/** The environment file's known keys, and the problem its unknown keys make (a typo), if any. */
function readEnvironmentFile(
  envName: string,
  dir: string,
): { values: Partial<PipelineConfig>; unknownKeys: string | undefined } {
  if (!/^[A-Za-z0-9._-]+$/.test(envName)) throw new ConfigError(`invalid environment name '${envName}'`);
  const candidates = [join(dir, LOCAL_ENVIRONMENTS, `${envName}.json`), join(dir, `${envName}.json`)];
  const found = candidates.filter((f) => existsSync(f));
  if (found.length === 0) {
    const available = listEnvironments(dir).join(', ') || 'none';
    throw new ConfigError(`unknown environment '${envName}' (no ${candidates.join(' or ')}); available: ${available}`);
  }
  if (found.length > 1) throw new ConfigError(`environment '${envName}' is ambiguous: ${found.join(' and ')}`);
  const file = found[0]!;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${file} must contain a JSON object`);
  }
  const comment = (k: string) => k.startsWith('$') || k.startsWith('//');
  const unknown = Object.keys(parsed).filter((k) => !(k in CONFIG_KEY_KINDS) && !comment(k));
  return {
    values: Object.fromEntries(
      Object.entries(parsed).filter(([k]) => k in CONFIG_KEY_KINDS && !comment(k)),
    ) as Partial<PipelineConfig>,
    unknownKeys: unknown.length > 0 ? `${file}: unknown configuration keys ${unknown.join(', ')}` : undefined,
  };
}

function coerce(key: string, kind: ValueKind, value: unknown): unknown {
  if (typeof value !== 'string') return value; // already typed (cdk.json context or a test)
  const json = (): unknown => {
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
      if (value === 'true' || value === 'false') return value === 'true';
      throw new ConfigError(`-c ${key}=${value}: expected true or false`);
    case 'string[]':
    case 'number[]': {
      const parsed = json();
      const list = Array.isArray(parsed)
        ? parsed
        : value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
      return kind === 'number[]' ? list.map((v) => coerce(key, 'number', String(v))) : list.map(String);
    }
    case 'record': {
      const parsed = json();
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ConfigError(`-c ${key}=${value}: expected a JSON object`);
      }
      return parsed;
    }
  }
}

/** Applies `-c key=value` overrides of known keys to `base`, coerced to the key's type; one error names every bad value. */
export function applyContextOverrides(
  base: Partial<PipelineConfig>,
  tryGetContext: (key: string) => unknown,
): Partial<PipelineConfig> {
  const out: Record<string, unknown> = { ...base };
  const problems = new ConfigProblems();
  for (const [key, kind] of Object.entries(CONFIG_KEY_KINDS)) {
    const value = tryGetContext(key);
    if (value !== undefined) problems.check(() => (out[key] = coerce(key, kind, value)));
  }
  problems.throwIfAny();
  return out as Partial<PipelineConfig>;
}

/** Loads the environment selected by `-c env=<name>`, applies `-c key=value` overrides and defaults, and validates. */
export function configFromContext(
  tryGetContext: (key: string) => unknown,
  dir: string = ENVIRONMENTS_DIR,
): ResolvedPipelineConfig {
  const envName = tryGetContext('env');
  if (typeof envName !== 'string' || envName === '') {
    const available = listEnvironments(dir).join(', ') || 'none';
    throw new ConfigError(`select an environment with -c env=<name>; available: ${available}`);
  }
  // One error names every bad key: an unknown key (a typo) does not hide the invalid values beside it.
  const { values, unknownKeys } = readEnvironmentFile(envName, dir);
  const problems = new ConfigProblems();
  if (unknownKeys) problems.add(unknownKeys);
  const given = problems.check(() => applyContextOverrides(values, tryGetContext));
  const resolved = given && problems.check(() => resolveConfig(envName, given));
  problems.throwIfAny();
  return resolved!;
}
