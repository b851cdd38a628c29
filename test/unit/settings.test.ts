import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { enrichConfigFromEnv } from '../../lib/settings/config.js';
import { kafkaSinkConfigFromEnv } from '../../lib/pipeline/kafka-sink.js';
import {
  ConfigurationError,
  DEFAULT_TOPICS,
  environmentReadBy,
  EVERY_READER,
  functionEnvironmentFor,
  readSettings,
  SETTING_READERS,
  type Setting,
  SETTINGS,
  settingKey,
  settingNames,
  settingProblems,
  tunableSettingNames,
  type FunctionSettingsConfig,
} from '../../lib/settings/catalogue.js';
import { SETTINGS_PAGE, withSettingsTable } from '../../scripts/settings-table.js';
import { settingsTableMarkdown } from '../../lib/settings/settings-table.js';
import { redriveTopicsFrom } from '../../lib/redrive/request.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

test('unset and blank variables take the catalogue default', () => {
  const blank = Object.fromEntries(settingNames().map((n) => [n, '  ']));
  for (const env of [{}, blank]) {
    const values = readSettings(env);
    for (const name of settingNames()) assert.deepEqual(values[name], SETTINGS[name].default, name);
  }
});

test('every invalid value is named in one ConfigurationError; nothing is clamped or substituted', () => {
  const env = {
    MW_API_BATCH_SIZE: '501',
    MW_API_TIMEOUT_MS: '0',
    MW_API_MAXLAG: '1.5',
    KAFKA_COMPRESSION: 'brotli',
    KAFKA_GZIP_LEVEL: '10',
    KAFKA_AUTH: 'kerberos',
    MW_API_ALLOWED_DOMAINS: ' , ',
  };
  assert.throws(
    () => readSettings(env),
    (e: Error) => {
      assert.ok(e instanceof ConfigurationError);
      for (const name of Object.keys(env)) assert.match(e.message, new RegExp(`\\b${name}\\b`), name);
      assert.match(e.message, /MW_API_BATCH_SIZE must be an integer from 1 to 500 \(got "501"\)/);
      assert.match(e.message, /KAFKA_COMPRESSION must be one of gzip/);
      return true;
    },
  );
  // The readers the handler uses fail the same way instead of clamping.
  assert.throws(() => enrichConfigFromEnv({ MW_API_BATCH_SIZE: '1000' }), /MW_API_BATCH_SIZE/);
  assert.throws(
    () => kafkaSinkConfigFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_COMPRESSION: 'brotli' }),
    /KAFKA_COMPRESSION/,
  );
});

test('the runtime reader takes each MediaWiki and event setting from its variable', () => {
  const c = enrichConfigFromEnv({
    MW_API_URL_TEMPLATE: 'http://localhost:6500/w/api.php',
    MW_API_ALLOWED_DOMAINS: 'a.example, *.b.example',
    MW_API_BATCH_SIZE: '500',
    MW_API_CONCURRENCY: '3',
    MW_API_DEADLINE_MARGIN_MS: '0',
    OUTPUT_SCHEMA_URI: '/mediawiki/page/change/1.2.0',
    EMITTER_ID: 'x',
  });
  assert.equal(c.mediawiki.urlTemplate, 'http://localhost:6500/w/api.php');
  assert.deepEqual(c.mediawiki.allowedDomains, ['a.example', '*.b.example']);
  assert.equal(c.mediawiki.revisionsPerRequest, 500);
  assert.equal(c.mediawiki.concurrency, 3);
  assert.equal(c.mediawiki.deadlineMarginMs, 0);
  assert.equal(c.events.outputSchemaUri, '/mediawiki/page/change/1.2.0');
  assert.equal(c.events.emitterId, 'x');
  assert.equal(c.events.errorSchemaUri, SETTINGS.ERROR_SCHEMA_URI.default);
});

test('infra keys are the camelCase of the variables, validated by the same parsers', () => {
  assert.equal(settingKey('MW_API_BATCH_SIZE'), 'mwApiBatchSize');
  assert.equal(settingKey('LOG_LEVEL'), 'logLevel');
  const config: FunctionSettingsConfig = {
    mwApiBatchSize: 200,
    mwApiAllowedDomains: ['a.example', 'b.example'],
    kafkaCompression: 'none',
  };
  assert.deepEqual(functionEnvironmentFor(config), {
    MW_API_BATCH_SIZE: '200',
    MW_API_ALLOWED_DOMAINS: 'a.example,b.example',
    KAFKA_COMPRESSION: 'none',
  });
  assert.throws(
    () => functionEnvironmentFor({ mwApiBatchSize: 501, kafkaGzipLevel: 0 }),
    (e: Error) =>
      e instanceof ConfigurationError &&
      /mwApiBatchSize \(MW_API_BATCH_SIZE\)/.test(e.message) &&
      /kafkaGzipLevel/.test(e.message),
  );
  // Wired settings are not config keys: the stack derives them.
  assert.ok(!tunableSettingNames().includes('KAFKA_BROKERS' as never));
});

test("each setting's example is a valid value of it, other than its default (the infra test synthesizes with them)", () => {
  const examples = settingNames().flatMap((name) => {
    const example = (SETTINGS[name] as Setting<unknown>).example;
    return example === undefined ? [] : [[name, example] as const];
  });
  assert.ok(examples.some(([name]) => name === 'EVENT_SCHEMA_BASE_URIS'));
  const env = Object.fromEntries(examples);
  assert.deepEqual(settingProblems(env), []);
  const values = readSettings(env);
  for (const [name] of examples) assert.notDeepEqual(values[name], SETTINGS[name].default, name);
});

test('the configuration table of docs/configuration.md is the one generated from the catalogue', () => {
  const page = readFileSync(path.join(ROOT, SETTINGS_PAGE), 'utf8');
  assert.equal(page, withSettingsTable(page), `${SETTINGS_PAGE} is stale: run npm run docs:settings`);
  for (const name of settingNames()) assert.ok(page.includes(`| \`${name}\` |`), name);
});

test('every variable the function code reads is in the catalogue, and every catalogue entry is read', () => {
  const files = ['lib', 'functions/page-content-change-enrich', 'functions/redrive'].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.ts'))
      .map((d) => path.join(d.parentPath, d.name)),
  );
  const source = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  const direct = new Set([...source.matchAll(/(?:process\.)?env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
  // Set by the Lambda runtime, not by us.
  for (const runtime of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_LAMBDA_FUNCTION_NAME']) direct.delete(runtime);
  for (const name of direct)
    assert.ok(name in SETTINGS, `${name} is read directly but not declared in lib/settings/catalogue.ts`);
  // Powertools' logger reads LOG_LEVEL itself.
  for (const name of settingNames().filter((n) => n !== 'LOG_LEVEL')) {
    assert.ok(
      new RegExp(`(\\b(s|values|settings)|\\))\\.${name}\\b|SETTINGS\\.${name}\\b|env\\.${name}\\b`).test(source),
      `${name} is declared but never read`,
    );
  }
});

test('in lib/, only the settings module reads process.env; every other module is given settings read once at start', () => {
  const readers = readdirSync(path.join(ROOT, 'lib'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)))
    .filter((f) => /process\.env/.test(readFileSync(path.join(ROOT, f), 'utf8')));
  assert.deepEqual(
    readers.filter((f) => !f.startsWith(`lib${path.sep}settings${path.sep}`)),
    [],
  );
});

test('the redrive reads its topics and group prefix through the catalogue, prefixed, with the catalogue defaults', () => {
  assert.deepEqual(redriveTopicsFrom(readSettings({})), {
    groupPrefix: SETTINGS.REDRIVE_GROUP_PREFIX.default,
    input: DEFAULT_TOPICS.input,
    error: DEFAULT_TOPICS.error,
    onFailure: DEFAULT_TOPICS.onFailure,
  });
  // Each setting says which function reads it; the enrichment table of docs/configuration.md lists only the enrichment function's.
  for (const name of ['INPUT_TOPIC', 'ON_FAILURE_TOPIC', 'REDRIVE_GROUP_PREFIX'] as const)
    assert.deepEqual(SETTINGS[name].readBy, name === 'INPUT_TOPIC' ? ['redrive', 'ingest'] : ['redrive'], name);
  assert.deepEqual(SETTINGS.ERROR_TOPIC.readBy, ['enrich', 'redrive']);
  const [enrichTable] = settingsTableMarkdown().split('**Redrive function**');
  assert.ok(!enrichTable!.includes('`ON_FAILURE_TOPIC`'));
  assert.ok(enrichTable!.includes('`MW_API_BATCH_SIZE`'));
});

test("a function's environment from another's is what its readBy names; each reader after the first has its table", () => {
  const enrichEnvironment = {
    KAFKA_BROKERS: 'a:9092',
    KAFKA_MAX_MESSAGE_BYTES: '2048',
    MW_API_BATCH_SIZE: '10',
    LOG_LEVEL: 'WARN',
    ERROR_TOPIC: 'errors',
    NOT_A_SETTING: 'x',
  };
  assert.deepEqual(environmentReadBy('redrive', enrichEnvironment), {
    KAFKA_BROKERS: 'a:9092',
    LOG_LEVEL: 'WARN',
    ERROR_TOPIC: 'errors',
  });
  assert.deepEqual(EVERY_READER, Object.keys(SETTING_READERS));
  const tables = settingsTableMarkdown();
  for (const reader of EVERY_READER.slice(1)) {
    const title: string | undefined = (SETTING_READERS[reader] as { title?: string }).title;
    assert.ok(title && tables.includes(`${title}.`), reader);
  }
});
