import { LICENSE_TEMPLATE_DEFINITIONS, type LicenseTemplate } from './templates';
import { sameTerms } from './terms-hash';
import type { LicenseTermsValue } from './terms';

/**
 * What is wrong with terms under a template, as sentences for a 400 answer (empty: they fit).
 * An open license's terms are its text's, so they must equal the template's defaults.
 */
export function templateProblems(template: LicenseTemplate, terms: LicenseTermsValue): string[] {
  const definition = LICENSE_TEMPLATE_DEFINITIONS[template];
  if (definition.open) {
    return sameTerms(terms, definition.defaultTerms)
      ? []
      : [`${template} is an open license: its terms are fixed, leave terms out or send the template's defaults`];
  }
  const problems: string[] = [];
  const license = `${article(template)} ${template} license`;
  const extra = terms.uses.filter((use) => !definition.allowedUses.includes(use));
  if (extra.length > 0) problems.push(`${license} cannot grant ${extra.join(', ')}`);
  if (terms.exclusive !== definition.exclusive) {
    problems.push(definition.exclusive ? `${license} must be exclusive` : `${license} cannot be exclusive; use commercial_exclusive`);
  }
  return problems;
}

/**
 * The indefinite article before a template's name, as it is read: `an evaluation license`,
 * `a research license`. The names are lower-case words and letters (`cc-by-4.0` is read
 * letter by letter, "a see-see"), so a vowel letter first is a vowel sound first.
 */
function article(template: LicenseTemplate): 'a' | 'an' {
  return /^[aeiou]/.test(template) ? 'an' : 'a';
}
