/** Hostile strings (every Unicode plane, lone surrogates, oddities) and the raw bytes that carry them. */
import fc from 'fast-check';

const lone = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800', 'a\ud83d', '\ude00b');
const nonchars = fc.constantFrom(
  '\ufffe',
  '\uffff',
  '\ufdd0',
  '\ufdef',
  '\u{1fffe}',
  '\u{1ffff}',
  '\u{10fffe}',
  '\u{10ffff}',
  '\u{effff}',
);
/** One code point from each of the 17 planes (many unassigned, all valid scalar values). */
const planes = fc.integer({ min: 0, max: 16 }).chain((plane) =>
  fc
    .integer({ min: plane === 0 ? 0x20 : plane * 0x10000, max: plane * 0x10000 + 0xffff })
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp)),
);
const oddities = fc.constantFrom(
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u200d',
  '\ufeff',
  '"',
  '\\',
  '</script>',
  '%00',
  '\r\n',
);

export const titleArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      lone,
      nonchars,
      planes,
      oddities,
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''))
  .filter((s) => s.length > 0);

export const hasLoneSurrogate = (s: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/**
 * A JSON string literal as bytes. `wtf8`: every code point raw, lone surrogates as the 3-byte
 * sequences UTF-8 forbids (ED A0 80..); `escaped`: everything outside ASCII as \uXXXX.
 */
export function jsonStringBytes(s: string, mode: 'wtf8' | 'escaped'): Buffer {
  const out: number[] = [0x22];
  const pushAscii = (t: string) => {
    for (const ch of t) out.push(ch.charCodeAt(0));
  };
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    let cp = unit;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) cp = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
    }
    if (cp === 0x22) pushAscii('\\"');
    else if (cp === 0x5c) pushAscii('\\\\');
    else if (cp < 0x20 || (mode === 'escaped' && cp > 0x7e)) {
      if (cp > 0xffff)
        pushAscii(
          `\\u${unit.toString(16).padStart(4, '0')}\\u${s
            .charCodeAt(i + 1)
            .toString(16)
            .padStart(4, '0')}`,
        );
      else pushAscii(`\\u${cp.toString(16).padStart(4, '0')}`);
    } else if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000)
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)); // lone surrogates land here: WTF-8
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    if (cp > 0xffff) i++;
  }
  out.push(0x22);
  return Buffer.from(out);
}

/** Serialises `obj` with the string at the marker replaced by raw bytes. */
export function withRawAt(obj: unknown, marker: string, raw: Buffer): Buffer {
  const text = JSON.stringify(obj);
  const at = text.indexOf(JSON.stringify(marker));
  if (at < 0) throw new Error(`marker ${marker} not found`);
  return Buffer.concat([
    Buffer.from(text.slice(0, at)),
    raw,
    Buffer.from(text.slice(at + JSON.stringify(marker).length)),
  ]);
}

export const utf8 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');
