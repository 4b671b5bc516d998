import { LICENSE_USES, WORLDWIDE, type LicenseTermsValue, type LicenseUse } from './terms';

export const LICENSE_TEMPLATES = [
  'evaluation',
  'research',
  'commercial',
  'commercial_exclusive',
  'cc-by-4.0',
  'cdla-permissive-2.0',
] as const;
export type LicenseTemplate = (typeof LICENSE_TEMPLATES)[number];

export interface LicenseTemplateDefinition {
  title: string;
  /** An open license: free listings only, and its terms are the license text's, not negotiable. */
  open: boolean;
  /** SPDX identifier and canonical URL, for open licenses (and the Croissant card). */
  spdx?: string;
  url?: string;
  /** Uses the template may grant at most. */
  allowedUses: readonly LicenseUse[];
  /** Whether terms under this template are exclusive: always, never. */
  exclusive: boolean;
  defaultTerms: LicenseTermsValue;
}

const COMMERCIAL_USES: readonly LicenseUse[] = [
  'model_training',
  'fine_tuning',
  'evaluation',
  'commercial_deployment',
  'sell_model_outputs',
  'derivatives',
];

const OPEN_TERMS: LicenseTermsValue = {
  uses: [...LICENSE_USES],
  termMonths: null,
  territories: [WORLDWIDE],
  seats: null,
  exclusive: false,
  downloadLimit: null,
  attributionRequired: true,
};

export const LICENSE_TEMPLATE_DEFINITIONS: Readonly<Record<LicenseTemplate, LicenseTemplateDefinition>> = {
  evaluation: {
    title: '评测许可 / Evaluation license',
    open: false,
    allowedUses: ['evaluation'],
    exclusive: false,
    defaultTerms: { uses: ['evaluation'], termMonths: 3, territories: ['CN'], seats: 5, exclusive: false, downloadLimit: 3 },
  },
  research: {
    title: '科研许可 / Research license',
    open: false,
    allowedUses: ['model_training', 'fine_tuning', 'evaluation', 'derivatives'],
    exclusive: false,
    defaultTerms: {
      uses: ['model_training', 'fine_tuning', 'evaluation', 'derivatives'],
      termMonths: 12,
      territories: ['CN'],
      seats: 20,
      exclusive: false,
    },
  },
  commercial: {
    title: '商用许可 / Commercial license',
    open: false,
    allowedUses: LICENSE_USES,
    exclusive: false,
    defaultTerms: { uses: [...COMMERCIAL_USES], termMonths: null, territories: ['CN'], seats: null, exclusive: false },
  },
  commercial_exclusive: {
    title: '独家商用许可 / Exclusive commercial license',
    open: false,
    allowedUses: LICENSE_USES,
    exclusive: true,
    defaultTerms: { uses: [...COMMERCIAL_USES], termMonths: 24, territories: ['CN'], seats: null, exclusive: true },
  },
  'cc-by-4.0': {
    title: 'Creative Commons Attribution 4.0 International',
    open: true,
    spdx: 'CC-BY-4.0',
    url: 'https://creativecommons.org/licenses/by/4.0/',
    allowedUses: LICENSE_USES,
    exclusive: false,
    defaultTerms: OPEN_TERMS,
  },
  'cdla-permissive-2.0': {
    title: 'Community Data License Agreement – Permissive – Version 2.0',
    open: true,
    spdx: 'CDLA-Permissive-2.0',
    url: 'https://cdla.dev/permissive-2-0/',
    allowedUses: LICENSE_USES,
    exclusive: false,
    defaultTerms: OPEN_TERMS,
  },
};

export function isLicenseTemplate(value: unknown): value is LicenseTemplate {
  return typeof value === 'string' && (LICENSE_TEMPLATES as readonly string[]).includes(value);
}

/** A fresh copy of the template's default terms (callers may change the copy). */
export function defaultTerms(template: LicenseTemplate): LicenseTermsValue {
  const terms = LICENSE_TEMPLATE_DEFINITIONS[template].defaultTerms;
  return { ...terms, uses: [...terms.uses], territories: [...terms.territories] };
}
