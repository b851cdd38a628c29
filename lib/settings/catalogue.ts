/**
 * The catalogue of the functions' settings: each environment variable the enrichment function,
 * the redrive function or the EventStreams ingest reads is declared here once — its type, default, bounds, a one-line
 * doc, and which function reads it (`readBy`).
 *
 * - The settings module is lib/'s only reader of the environment. A function (and each tool) reads its
 *   settings once at start with `readSettings(process.env)` and passes the values down
 *   (lib/settings/config.ts, kafka-client, kafka-sink, redrive): an invalid value fails the
 *   container start with one message naming every invalid variable; nothing is clamped or substituted.
 * - Infra derives the function section of `PipelineConfig` from the `tunable` entries (key =
 *   camelCase of the variable: `MW_API_BATCH_SIZE` → `mwApiBatchSize`), validates it with the
 *   same parsers (`functionEnvironmentFor`) and builds the function's environment from it.
 *   `wired` entries are set by infra from infrastructure facts (cluster, topics, secrets).
 * - The settings tables of docs/configuration.md (enrichment, redrive, ingest) are generated from it (`npm run docs:settings`); a test
 *   fails when they differ.
 *
 * The entries live in one file per concern under catalogue/ (MediaWiki client, memory, events, Kafka, logs and
 * metrics, ingest, redrive); this module assembles them in that order (the order of the docs tables) and reads them.
 *
 * Adding a setting: one entry in its concern's file, then read it where it is used.
 */
import { EVENT_SETTINGS } from './catalogue/events.js';
import { INGEST_SETTINGS } from './catalogue/ingest.js';
import { KAFKA_SETTINGS } from './catalogue/kafka.js';
import { MEDIAWIKI_SETTINGS } from './catalogue/mediawiki.js';
import { MEMORY_SETTINGS } from './catalogue/memory.js';
import { OBSERVABILITY_SETTINGS } from './catalogue/observability.js';
import { REDRIVE_SETTINGS } from './catalogue/redrive.js';
import {
  ConfigurationError,
  type Setting,
  type SettingReader,
  type SettingScope,
  type SettingValue,
} from './setting.js';

export { WIKIMEDIA_SCHEMA_REPOSITORY } from './catalogue/events.js';
export { DEFAULT_USER_AGENT, WIKIMEDIA_DOMAINS } from './catalogue/mediawiki.js';
export {
  CONTENT_BUDGET_MEMORY_MB_OUTSIDE_LAMBDA,
  CONTENT_BUDGET_SHARE_OF_MEMORY,
  contentBudgetBytes,
} from './catalogue/memory.js';
export { DEFAULT_TOPICS } from './catalogue/topics.js';
export {
  ConfigurationError,
  EVERY_READER,
  type Setting,
  type SettingReader,
  type SettingScope,
  SETTING_READERS,
} from './setting.js';

export const SETTINGS = {
  ...MEDIAWIKI_SETTINGS,
  ...MEMORY_SETTINGS,
  ...EVENT_SETTINGS,
  ...KAFKA_SETTINGS,
  ...OBSERVABILITY_SETTINGS,
  ...INGEST_SETTINGS,
  ...REDRIVE_SETTINGS,
} as const satisfies Record<string, Setting<unknown, SettingScope>>;

export type SettingName = keyof typeof SETTINGS;
export type SettingValues = { readonly [K in SettingName]: SettingValue<(typeof SETTINGS)[K]> };

type Env = Readonly<Record<string, string | undefined>>;

/** One `name: problem (got "raw")` line per invalid variable, or none. */
export function settingProblems(env: Env, names: readonly SettingName[] = settingNames()): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    try {
      SETTINGS[name].parse(raw);
    } catch (message) {
      problems.push(`${name} ${String(message)} (got ${JSON.stringify(env[name])})`);
    }
  }
  return problems;
}

/**
 * Every setting from the environment, defaults applied; throws one error listing every invalid value.
 * A function or tool calls it once at start with `process.env` and passes the values down.
 */
export function readSettings(env: Env): SettingValues {
  const problems = settingProblems(env);
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const values: Record<string, unknown> = {};
  for (const name of settingNames()) {
    const raw = env[name]?.trim();
    values[name] = raw === undefined || raw === '' ? SETTINGS[name].default : SETTINGS[name].parse(raw);
  }
  return values as SettingValues;
}

export function settingNames(): SettingName[] {
  return Object.keys(SETTINGS) as SettingName[];
}

/**
 * Powertools' service name and metrics namespace of this process, read from its environment through
 * the catalogue: a handler makes its logger and metrics from them as it is built, before it reads its other
 * settings (which may be invalid: that invocation then fails, logged). Text settings, so this never throws.
 */
export function powertoolsSettingsOfThisProcess(): Pick<
  SettingValues,
  'POWERTOOLS_SERVICE_NAME' | 'POWERTOOLS_METRICS_NAMESPACE'
> {
  const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE } = process.env;
  return readSettings({ POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE });
}

// ------------------------------------------------------------------ infra side

/** `MW_API_BATCH_SIZE` → `mwApiBatchSize`. */
export type SettingKey<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<SettingKey<Tail>>}`
  : Lowercase<S>;

export function settingKey<S extends string>(name: S): SettingKey<S> {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) as SettingKey<S>;
}

export type TunableSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K]['scope'] extends 'tunable' ? K : never;
}[SettingName];

/** The function section of infra's `PipelineConfig`: every tunable setting, optional, typed from the catalogue. */
export type FunctionSettingsConfig = {
  readonly [K in TunableSettingName as SettingKey<K>]?: SettingValue<(typeof SETTINGS)[K]>;
};

export function tunableSettingNames(): TunableSettingName[] {
  return settingNames().filter((n): n is TunableSettingName => SETTINGS[n].scope === 'tunable');
}

/** The variables of `env` that `reader` reads (`readBy`): another function's share of the enrichment function's environment. */
export function environmentReadBy(
  reader: SettingReader,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      (SETTINGS as Record<string, Setting<unknown>>)[name]?.readBy.includes(reader),
    ),
  );
}

/** A config value as the environment string the function reads. */
export function environmentValue(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * The function environment for the tunable settings present in `config` (absent ones keep the
 * runtime default), validated with the runtime's own parsers: one error listing every invalid value.
 */
export function functionEnvironmentFor(config: Readonly<Record<string, unknown>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of tunableSettingNames()) {
    const value = config[settingKey(name)];
    if (value === undefined || value === null) continue;
    env[name] = environmentValue(value);
  }
  const problems = settingProblems(env).map((p) => {
    const name = p.slice(0, p.indexOf(' '));
    return p.replace(name, `${settingKey(name)} (${name})`);
  });
  if (problems.length > 0) throw new ConfigurationError(`invalid function settings:\n  ${problems.join('\n  ')}`);
  return env;
}
