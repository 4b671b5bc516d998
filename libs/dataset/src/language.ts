import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/**
 * Chinese varieties with ISO 639-3 codes that ICU has no display name for (Min Dong, Jin,
 * Pu-Xian, Min Zhong, Min Bei, Huizhou): real dialect corpora are sold in them.
 */
const EXTRA_LANGUAGES = new Set(['cdo', 'cjy', 'cpx', 'czo', 'mnp', 'czh']);

const displayNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/**
 * The Chinese languages BCP 47 registers as extended language subtags of `zh` (RFC 5646, 2.2.2):
 * `zh-yue` is a well-formed tag whose canonical form is `yue`, though ICU refuses it.
 */
const CHINESE_EXTLANGS = new Set(['cdo', 'cjy', 'cmn', 'cnp', 'cpx', 'csp', 'czh', 'czo', 'gan', 'hak', 'hsn', 'lzh', 'mnp', 'nan', 'wuu', 'yue']);
const EXTLANG_FORM = /^zh-([a-z]{3})(?=-|$)/i;

/**
 * The canonical form of a BCP 47 language tag (`zh-cn` -> `zh-CN`, `cmn` -> `zh`, `zh-yue-HK` ->
 * `yue-HK`), or null when the tag is malformed (`en_US`) or its language is unknown (`xx`, `qaa`).
 */
export function canonicalLanguageTag(tag: unknown): string | null {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > 35) return null;
  const extlang = EXTLANG_FORM.exec(tag)?.[1].toLowerCase();
  const read = extlang !== undefined && CHINESE_EXTLANGS.has(extlang) ? tag.slice(3) : tag;
  let canonical: string;
  try {
    [canonical] = Intl.getCanonicalLocales(read);
  } catch {
    return null;
  }
  if (canonical === undefined) return null;
  const language = canonical.split('-')[0];
  if (EXTRA_LANGUAGES.has(language)) return canonical;
  return displayNames.of(language) === undefined ? null : canonical;
}

export function isLanguageTag(tag: unknown): boolean {
  return canonicalLanguageTag(tag) !== null;
}

/** Canonicalizes well-formed tags and leaves anything else for the validator to refuse. */
export function canonicalizeLanguageTags(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((tag) => canonicalLanguageTag(tag) ?? tag);
}

/** A BCP 47 language tag with a known language (`zh-CN`, `yue`, `wuu`, `nan`, `en`, `ja`, `ko`). */
export function IsLanguageTag(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isLanguageTag',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => isLanguageTag(value),
        defaultMessage: (args: ValidationArguments) => {
          const wrong = Array.isArray(args.value) ? args.value.filter((tag) => !isLanguageTag(tag)) : args.value;
          return `${args.property} must hold BCP 47 language tags such as zh-CN, yue, wuu, nan, en; not ${JSON.stringify(wrong)}`;
        },
      },
    });
}
