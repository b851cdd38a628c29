/**
 * The JSON Schema `format`s that `mediawiki/page/change` uses, checked by the precompiled output
 * validators (page-change-output.validate.ts). Written here rather than taken from ajv-formats so
 * the function bundles no validator library; both follow the RFCs the formats name.
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** RFC 3339 `date-time` (section 5.6): a calendar date, a time, and a zone; second 60 for a leap second. */
export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zoneOk = m[7] === undefined || (Number(m[8]) <= 23 && Number(m[9]) <= 59);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60 &&
    zoneOk
  );
}

/** RFC 3986 characters of a URI reference outside an IP-literal host (section 2: unreserved, reserved but brackets, percent-encoded octets). */
const URI_CHARS = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})";
/** An optional scheme and `//[IP-literal]` authority (section 3.2.2), then URI characters. */
const URI_REFERENCE = new RegExp(
  `^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://(?:${URI_CHARS.replace('@/?#', '')}*@)?\\[[0-9A-Fa-f:.vV]+\\])?${URI_CHARS}*$`,
);

/** RFC 3986 `URI-reference` (section 4.1), checked at the level of its character set. */
export function isUriReference(value: string): boolean {
  return URI_REFERENCE.test(value);
}

/** Format name → check, as the generated validators call them. */
export const OUTPUT_FORMATS = {
  'date-time': isDateTime,
  'uri-reference': isUriReference,
} as const;
