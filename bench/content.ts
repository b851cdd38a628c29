/**
 * Deterministic page texts for the bench seed that look like wikitext: a vocabulary of a few thousand
 * words drawn with a Zipf-like skew, links, templates, citations in <ref> tags, lists and tables, about
 * 1 page in 6 in a script outside Latin-1. Repeated sentences compress and serialize unrealistically
 * fast (issue 21), so nothing here repeats a fixed string.
 */

/** mulberry32: small, fast, deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal size in bytes, clamped to [min, max]. */
export function logNormalSize(rand: () => number, median: number, sigma: number, min: number, max: number): number {
  const gauss = Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  return Math.round(Math.min(max, Math.max(min, median * Math.exp(sigma * gauss))));
}

const SCRIPTS = {
  latin: 'bcdfghjklmnprstvwz'.split('').flatMap((c) => ['a', 'e', 'i', 'o', 'u', 'ou', 'ie'].map((v) => c + v)),
  cyrillic: 'бвгдзклмнпрстф'.split('').flatMap((c) => ['а', 'е', 'и', 'о', 'у', 'я'].map((v) => c + v)),
  greek: 'βγδκλμνπρστ'.split('').flatMap((c) => ['α', 'ε', 'ι', 'ο', 'ω'].map((v) => c + v)),
  cjk: Array.from({ length: 400 }, (_, i) => String.fromCodePoint(0x4e00 + i * 37)),
} as const;
type Script = keyof typeof SCRIPTS;

/** A vocabulary of `size` words of 1–4 syllables of one script (deterministic per seed). */
function vocabulary(rand: () => number, script: Script, size: number): string[] {
  const syllables = SCRIPTS[script];
  return Array.from({ length: size }, () => {
    let w = '';
    for (let k = 1 + Math.floor(rand() * (script === 'cjk' ? 2 : 4)); k > 0; k--)
      w += syllables[Math.floor(rand() * syllables.length)];
    return w;
  });
}

const VOCABULARY_SEED = 77;
const LATIN_WORDS = vocabulary(prng(VOCABULARY_SEED), 'latin', 1500);
const OTHER_WORDS: Record<Exclude<Script, 'latin'>, string[]> = {
  cyrillic: vocabulary(prng(VOCABULARY_SEED + 1), 'cyrillic', 3000),
  greek: vocabulary(prng(VOCABULARY_SEED + 2), 'greek', 2000),
  cjk: vocabulary(prng(VOCABULARY_SEED + 3), 'cjk', 3000),
};

/** A word index skewed towards the front of the list, as word frequencies are. */
const zipf = (rand: () => number, size: number) => Math.floor(size * rand() ** 4);

function words(rand: () => number, count: number, pool: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(pool[zipf(rand, pool.length)]!);
  return out.join(' ');
}

/** Wikitext of about `bytes` UTF-8 bytes; `nonLatin1` pages are written mostly in one script outside Latin-1. */
export function wikitext(rand: () => number, bytes: number, nonLatin1: boolean, tag: string): string {
  const script = (['cyrillic', 'greek', 'cjk'] as const)[Math.floor(rand() * 3)]!;
  const pool = nonLatin1 ? OTHER_WORDS[script] : LATIN_WORDS;
  const title = () => words(rand, 1 + Math.floor(rand() * 3), pool);
  const year = () => 1800 + Math.floor(rand() * 226);
  const sentence = () => {
    let s = words(rand, 6 + Math.floor(rand() * 16), pool);
    if (rand() < 0.45) s += ` [[${title()}${rand() < 0.3 ? `|${title()}` : ''}]] ${words(rand, 3, pool)}`;
    if (rand() < 0.15) s = `'''${s}'''`;
    if (rand() < 0.2)
      s +=
        `<ref>{{cite web |url=https://example.org/${Math.floor(rand() * 1e9).toString(36)} |title=${title()} ` +
        `|date=${year()}-${1 + Math.floor(rand() * 12)}-${1 + Math.floor(rand() * 28)} |access-date=2026-11-25}}</ref>`;
    return `${s}.`;
  };
  const parts = [
    `{{Infobox ${title()}\n| name = ${tag}\n| founded = ${year()}\n| population = ${Math.floor(rand() * 1e7)}\n}}`,
    `'''${tag}''' ${sentence()}`,
  ];
  let size = Buffer.byteLength(parts.join('\n\n'));
  let section = 0;
  while (size < bytes) {
    const r = rand();
    let chunk: string;
    if (r < 0.07) chunk = `== ${++section}. ${title()} ==`;
    else if (r < 0.13)
      chunk = Array.from({ length: 3 + Math.floor(rand() * 5) }, () => `* [[${title()}]] (${year()})`).join('\n');
    else if (r < 0.16)
      chunk = `{| class="wikitable"\n! ${title()} !! ${title()}\n|-\n| ${year()} || ${Math.floor(rand() * 1e6)}\n|}`;
    else chunk = Array.from({ length: 2 + Math.floor(rand() * 4) }, sentence).join(' ');
    parts.push(chunk);
    size += Buffer.byteLength(chunk) + 2;
  }
  parts.push(`== References ==\n{{reflist}}\n\n[[Category:${title()}]]`);
  return parts.join('\n\n');
}

/** JavaScript source of about `bytes` bytes (user script pages save far faster than wikitext: the big revisions). */
export function javascript(rand: () => number, bytes: number, nonLatin1: boolean, tag: string): string {
  const pool = nonLatin1 ? OTHER_WORDS.cyrillic : LATIN_WORDS;
  const parts = [`/* ${tag}: benchmark user script */`];
  let size = Buffer.byteLength(parts[0]!);
  for (let n = 0; size < bytes; n++) {
    const body =
      `function f${n}_${Math.floor(rand() * 1e9).toString(36)}(a, b) {\n` +
      `  var s = ${JSON.stringify(words(rand, 8, pool))};\n  return a + b * ${Math.floor(rand() * 1000)} + s.length;\n}\n`;
    parts.push(body);
    size += Buffer.byteLength(body) + 1;
  }
  return parts.join('\n');
}
