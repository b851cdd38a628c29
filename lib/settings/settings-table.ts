/** The settings tables of docs/configuration.md, generated from the catalogue (`npm run docs:settings`). */
import { environmentValue, SETTINGS, type SettingName, settingKey, settingNames } from './catalogue.js';
import { EVERY_READER, type ReaderDoc, type Setting, type SettingReader, SETTING_READERS } from './setting.js';

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
 * The settings tables of docs/configuration.md: the first reader's (the enrichment function's) table, then for each
 * other reader, in {@link SETTING_READERS} order, a line naming the settings it shares with a table above and a
 * table of the ones shown for the first time.
 */
export function settingsTableMarkdown(): string {
  const [first, ...others] = EVERY_READER;
  const readBy = (reader: SettingReader) => settingNames().filter((n) => SETTINGS[n].readBy.includes(reader));
  const out = [table(readBy(first!))];
  const shown = new Set<SettingName>(readBy(first!));
  for (const reader of others) {
    const reads = readBy(reader);
    const shared = reads.filter((n) => shown.has(n));
    const own = reads.filter((n) => !shown.has(n));
    for (const n of own) shown.add(n);
    const sharedText = shared.length > 0 ? ` It reads ${shared.map((n) => `\`${n}\``).join(', ')} as above, and:` : '';
    const doc: ReaderDoc = SETTING_READERS[reader];
    out.push('', `${doc.title ?? reader}.${sharedText}`, '', table(own));
  }
  return out.join('\n');
}
