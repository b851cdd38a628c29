/**
 * MediaWiki stores SHA-1 in base 36, zero-padded to 31 characters (events carry that
 * form); the Action API returns hex. Integrity checks compare in base 36.
 */
import { createHash } from 'node:crypto';

export function sha1HexToBase36(hex: string): string {
  return BigInt(`0x${hex}`).toString(36).padStart(31, '0');
}

export function sha1Base36ToHex(base36: string): string {
  let value = 0n;
  for (const ch of base36.toLowerCase()) value = value * 36n + BigInt(parseInt(ch, 36));
  return value.toString(16).padStart(40, '0');
}

/** SHA-1 of the UTF-8 bytes of a text, in MediaWiki's base-36 form. */
export function contentSha1Base36(text: string): string {
  return sha1HexToBase36(createHash('sha1').update(text, 'utf8').digest('hex'));
}
