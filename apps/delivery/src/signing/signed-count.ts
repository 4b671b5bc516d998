/**
 * A whole number as delivery writes it into a URL it signs (`String(n)`): decimal digits, no
 * sign, no leading zero unless the number is 0.
 */
const CANONICAL_COUNT = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * The number a signed URL's parameter (an expiry, a size, a byte limit) holds, or null unless
 * it is written exactly as delivery wrote it. The signature covers the number read, not the
 * text, so a second spelling of the same number (`expires=0123`, `size=007`) would be a changed
 * URL that still verifies: every spelling but the one that was signed is refused.
 */
export function signedCount(text: string | undefined): number | null {
  if (text === undefined || !CANONICAL_COUNT.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}
