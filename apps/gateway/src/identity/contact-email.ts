import { asciiLookAlikes } from '@trove/platform';
import { ValidateBy, type ValidationArguments } from 'class-validator';

/** Scripts whose letters are drawn like Latin ones: an address mixing them reads as another. */
const LATIN = /\p{Script=Latin}/u;
const DRAWN_AS_LATIN = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;

/**
 * What keeps an address from reading as the one it is, or null. An operator copies a contact
 * address as it reads: `ａｂ@example.com` (full-width) reads as `ab@example.com` and is not it, and
 * `a@еxample.com` with a Cyrillic `е` reads as `a@example.com`, somebody else's domain.
 */
export function contactEmailProblem(address: string): string | null {
  const plain = address.normalize('NFKC');
  if (plain !== address) return `contactEmail must be written as it reads: it holds full-width or other compatibility characters, and reads as ${plain}`;
  for (const part of address.split(/[@.]/)) {
    if (LATIN.test(part) && DRAWN_AS_LATIN.test(part)) {
      return `contactEmail must not mix Latin letters with Cyrillic or Greek ones in one part ("${part}"): it reads as an address it is not`;
    }
    // Cyrillic or Greek drawn letter for letter as Latin ones: `а@b.co`, `рау@…` read as `a@`, `pay@`.
    const drawn = asciiLookAlikes(part.toLowerCase());
    if (DRAWN_AS_LATIN.test(part) && /^[\x21-\x7e]+$/.test(drawn)) {
      return `contactEmail must not spell a part with Cyrillic or Greek letters drawn as Latin ones ("${part}" reads as "${drawn}")`;
    }
  }
  return null;
}

/** The rule of contactEmailProblem, as a property decorator. */
export function ReadsAsWritten(): PropertyDecorator {
  return ValidateBy({
    name: 'readsAsWritten',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || contactEmailProblem(value) === null,
      defaultMessage: (args?: ValidationArguments) => contactEmailProblem(String(args?.value)) ?? 'contactEmail must read as it is written',
    },
  });
}
