import { WORLDWIDE, type LicenseTermsValue } from './terms';

/**
 * Whether a listing's data may leave mainland China (its compliance block's
 * `crossBorderTransfer`): `restricted` data stays there unless the buyer itself completes the
 * export procedure (PIPL security assessment, standard contract or certification).
 */
export type DataExport = 'allowed' | 'restricted';

/**
 * Why terms cannot be offered on data of `dataExport`, or null when they can. A licensee of
 * restricted data may be abroad, and answers for its own export; but a license that lets it
 * redistribute the data outside mainland China hands the data on to recipients no procedure
 * covers, and an open license (CC BY 4.0, CDLA-Permissive-2.0) is exactly that: worldwide, with
 * redistribution.
 */
export function exportConflict(dataExport: DataExport, terms: Pick<LicenseTermsValue, 'uses' | 'territories'>): string | null {
  if (dataExport !== 'restricted' || !terms.uses.includes('redistribution')) return null;
  const abroad = terms.territories.filter((territory) => territory !== 'CN');
  if (abroad.length === 0) return null;
  const where = abroad.includes(WORLDWIDE) ? 'worldwide' : `in ${abroad.join(', ')}`;
  return `the listing's data may not leave mainland China (compliance.crossBorderTransfer: restricted), and these terms let the buyer redistribute it ${where}: offer redistribution in CN only, or declare crossBorderTransfer allowed`;
}
