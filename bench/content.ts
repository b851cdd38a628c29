/** Deterministic generators of realistic page texts for the bench seed. */

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

/** Standard normal via Box–Muller. */
function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Log-normal size in bytes, clamped to [min, max]. */
export function logNormalSize(
  rand: () => number,
  medianBytes: number,
  sigma: number,
  min: number,
  max: number,
): number {
  return Math.round(Math.min(max, Math.max(min, medianBytes * Math.exp(sigma * normal(rand)))));
}

const LATIN = (
  'the of and in to was is for on as by with from at that his an which first also were are this after new one two city ' +
  'river north south history population school national university world war century church village county district ' +
  'album film series season team league game player music band record station railway road island'
).split(' ');
const NON_ASCII = (
  'город река история население школа университет война век церковь деревня Москва Санкт-Петербург ' +
  '東京 大阪 日本 歴史 人口 学校 大学 世界 川 駅 Ελλάδα Αθήνα ιστορία πόλη ποταμός café naïve Zürich Ångström São Paulo ' +
  'Kraków Łódź Ñandú 🎵 🚉 🌍 — “quoted” €'
).split(' ');

function words(rand: () => number, n: number, nonAscii: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const pool = nonAscii && rand() < 0.35 ? NON_ASCII : LATIN;
    out.push(pool[Math.floor(rand() * pool.length)]!);
  }
  return out.join(' ');
}

/** Wikitext of about `bytes` UTF-8 bytes: lead, sections, paragraphs with links and bold, lists, a small table. */
export function wikitext(rand: () => number, bytes: number, nonAscii: boolean, tag: string): string {
  const parts: string[] = [`'''${tag}''' is a benchmark page. ${words(rand, 30, nonAscii)}.`];
  let size = Buffer.byteLength(parts[0]!);
  let section = 0;
  while (size < bytes) {
    let chunk: string;
    const r = rand();
    if (r < 0.08) chunk = `== Section ${++section} ${words(rand, 2, nonAscii)} ==`;
    else if (r < 0.14)
      chunk = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => `* ${words(rand, 6, nonAscii)}`).join('\n');
    else if (r < 0.16)
      chunk = `{| class="wikitable"\n! A !! B\n|-\n| ${words(rand, 3, nonAscii)} || ${Math.floor(rand() * 1e6)}\n|}`;
    else {
      const sentences: string[] = [];
      for (let s = 0; s < 3 + Math.floor(rand() * 4); s++) {
        let w = words(rand, 8 + Math.floor(rand() * 14), nonAscii);
        if (rand() < 0.3) w += ` [[${words(rand, 2, false)}]]`;
        if (rand() < 0.1) w = `'''${w}'''`;
        sentences.push(`${w.charAt(0).toUpperCase() + w.slice(1)}.`);
      }
      chunk = sentences.join(' ');
    }
    parts.push(chunk);
    size += Buffer.byteLength(chunk) + 2;
  }
  return parts.join('\n\n');
}

/** JavaScript source of about `bytes` bytes (user script pages save far faster than wikitext). */
export function javascript(rand: () => number, bytes: number, nonAscii: boolean, tag: string): string {
  const parts: string[] = [`/* ${tag}: benchmark user script ${nonAscii ? '— «ünïcödé» 東京 🌍' : ''} */`];
  let size = Buffer.byteLength(parts[0]!);
  let n = 0;
  while (size < bytes) {
    const name = `fn${n++}_${Math.floor(rand() * 1e9).toString(36)}`;
    const body = `function ${name}(a, b) {\n  var s = ${JSON.stringify(words(rand, 6, false))};\n  return a + b * ${Math.floor(rand() * 1000)} + s.length;\n}\n`;
    parts.push(body);
    size += Buffer.byteLength(body) + 1;
  }
  return parts.join('\n');
}
