import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { codePointName } from '@trove/dataset';

/**
 * What a bank-transfer reference may not hold: characters that show as nothing, or as a line
 * break. Two references that differ by one of them look identical to the operator, and they
 * survive billing's reference key (which must not change without keying every top-up again),
 * so `CMB-20261130-0042` and `CMB-20261130-0042` followed by a zero-width space would file one
 * transfer twice, past both TOP_UP_ALREADY_FILED and TRANSFER_ALREADY_CREDITED. No bank
 * statement prints one.
 *
 * - `\p{Cc}`: the C0 and C1 controls (NEL U+0085 among them);
 * - `\p{Cf}`: the format characters: zero-width space and joiners, the word joiner U+2060, the
 *   byte order mark U+FEFF, the soft hyphen U+00AD, the bidirectional marks, embeddings,
 *   overrides and isolates, the tags;
 * - `\p{Zl}`, `\p{Zp}`: the line and paragraph separators;
 * - every other default-ignorable code point (the variation selectors, the Hangul fillers, the
 *   combining grapheme joiner...), which a font draws as nothing.
 *
 * Chinese, the full-width forms, spaces and punctuation stay allowed: `招商银行 CMB-20261130-0042
 * 货款` is an ordinary transfer remark.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

/** The invisible characters of `text` (see `INVISIBLE`), each once, as `U+200B`; empty when none. */
export function invisibleCharacters(text: string): string[] {
  const found = new Set<string>();
  for (const [character] of text.matchAll(INVISIBLE)) found.add(codePointName(character));
  return [...found];
}

/**
 * A bank-transfer reference: refused when it holds a control, format or other invisible
 * character, naming the code points found (the buyer cannot see them). A value that is not a
 * string is left to `@IsString`. The gateway's DTO extends the contract, so the rule is the same
 * over HTTP and over NATS.
 */
export function TransferReference(options?: ValidationOptions): PropertyDecorator {
  const found = (value: unknown) => (typeof value === 'string' ? invisibleCharacters(value) : []);
  return (target, propertyName) =>
    registerDecorator({
      name: 'isTransferReference',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => found(value).length === 0,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must not contain control, format or other invisible characters (line breaks, zero-width spaces, soft hyphens, byte order marks...); found ${found(args.value).join(', ')}`,
      },
    });
}
