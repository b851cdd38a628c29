/**
 * Length of a string in Unicode code points, as JSON Schema's `minLength`/`maxLength` count it
 * (a surrogate pair is one character; a lone surrogate also counts as one). The precompiled
 * page_change validator calls this instead of importing ajv's runtime, so ajv stays a build tool.
 */
export function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    length++;
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one code point: skip the low half.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return length;
}
