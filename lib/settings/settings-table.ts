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

/** The functions' own tables after the enrichment function's, each naming the settings it shares with it. */
const OTHER_READERS: readonly { reader: Exclude<SettingReader, 'enrich'>; title: string }[] = [
  { reader: 'redrive', title: '**Redrive function** (`functions/redrive/handler.ts`, `npm run redrive`)' },
  {
    reader: 'ingest',
    title:
      '**EventStreams ingest** (`functions/eventstreams-ingest/handler.ts`, `npm run ingest`, [docs/ingest.md](ingest.md))',
  },
];

/**
 * The documented settings: the enrichment function's table, then each other reader's own settings (a
 * setting shown once, under the first reader that reads it), after a line naming the ones it shares.
 */
export function settingsTableMarkdown(): string {
  const readers = (name: SettingName): readonly SettingReader[] => SETTINGS[name].readBy;
  const enrich = settingNames().filter((n) => readers(n).includes('enrich'));
  const out = [table(enrich)];
  const shown = new Set(enrich);
  for (const { reader, title } of OTHER_READERS) {
    const reads = settingNames().filter((n) => readers(n).includes(reader));
    const own = reads.filter((n) => !shown.has(n));
    const shared = reads.filter((n) => shown.has(n));
    for (const n of own) shown.add(n);
    out.push('', `${title}. It reads ${shared.map((n) => `\`${n}\``).join(', ')} as above, and:`, '', table(own));
  }
  return out.join('\n');
}
