/** The settings tables of docs/configuration.md, generated from the catalogue (`npm run docs:settings`). */
import { environmentValue, SETTINGS, type SettingName, settingKey, settingNames } from './catalogue.js';
import type { Setting, SettingReader } from './setting.js';

function defaultCell(s: Setting<unknown>): string {
  if (s.defaultDoc) return s.defaultDoc;
  if (s.default === undefined) return '—';
  return `\`${environmentValue(s.default)}\``;
}

function constraintCell(s: Setting<unknown>): string {
  switch (s.type) {
    case 'integer':
      return s.max === undefined ? `integer ≥ ${s.min}` : `integer ${s.min}–${s.max}`;
    case 'enum':
      return s.values!.map((v) => `\`${v}\``).join(', ');
    case 'list':
      return 'comma-separated';
    default:
      return 'string';
  }
}

function table(names: readonly SettingName[]): string {
  const rows = names.map((name) => {
    const s: Setting<unknown> = SETTINGS[name];
    const key = { tunable: `\`${settingKey(name)}\``, wired: 'set by the stack', lambda: 'set by Lambda' }[s.scope];
    return `| \`${name}\` | ${defaultCell(s)} | ${constraintCell(s)} | ${key} | ${s.doc} |`;
  });
  return ['| variable | default | values | CDK config key | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

/**
 * The documented settings: the enrichment function's table, then the redrive function's own settings,
 * after a line naming the ones it shares with the enrichment function.
 */
export function settingsTableMarkdown(): string {
  const readers = (name: SettingName): readonly SettingReader[] => SETTINGS[name].readBy;
  const enrich = settingNames().filter((n) => readers(n).includes('enrich'));
  const redriveOnly = settingNames().filter((n) => !readers(n).includes('enrich'));
  const shared = enrich.filter((n) => readers(n).includes('redrive'));
  return [
    table(enrich),
    '',
    `**Redrive function** (\`functions/redrive/handler.ts\`, \`npm run redrive\`). It reads ${shared
      .map((n) => `\`${n}\``)
      .join(', ')} as above, and:`,
    '',
    table(redriveOnly),
  ].join('\n');
}
