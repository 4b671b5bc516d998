import { DatasetListing, type DatasetDetail, type VersionView } from '@trove/contracts';
import { toCroissant, type CroissantDataset, type CroissantLicense } from '@trove/dataset';
import { isLicenseTemplate, LICENSE_TEMPLATE_DEFINITIONS } from '@trove/licensing';
import { validateMessage } from '@trove/platform';
import { assertDisplayText } from '../display-text';
import { canBeBought } from '../offers/exclusive-availability';

/** Validated metadata and the title lists show. */
export interface ReadMetadata {
  metadata: Record<string, unknown>;
  title: string;
}

/** Validates metadata against the dataset model; a 400 lists every bad field. */
export function readMetadata(input: Record<string, unknown>): ReadMetadata {
  const listing = validateMessage(DatasetListing, input);
  // Stored as the validated, canonical JSON (language tags canonicalized), not as sent.
  const metadata = JSON.parse(JSON.stringify(listing)) as Record<string, unknown>;
  // Every word of it is shown to buyers, in search and on the listing's page.
  assertDisplayText(metadata, ['description']);
  return { metadata, title: listing.title };
}

/** A PATCH: the fields sent replace the listing's; `null` removes an optional field. */
export function mergeMetadata(current: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/**
 * The Croissant card of what the caller sees: the newest released version's first files with
 * their SHA-256 (none before a release), the licenses of the offers it sees that can be bought
 * (`canBeBought`: not those a live exclusive sale blocks, which search leaves out too), the
 * vendor's display name. Every link is absolute, under the gateway's public address `apiUrl`:
 * the card's `url` is the dataset's page, and each file's `contentUrl` the route that sends a
 * buyer whose entitlement covers the version on to a signed download URL of that file.
 */
export function croissantOf(detail: DatasetDetail, latest: VersionView | null, vendor: CroissantDataset['vendor'], apiUrl: string): Record<string, unknown> {
  const metadata = detail.metadata as unknown as CroissantDataset['metadata'] & { description?: string };
  const pageUrl = `${apiUrl}/v1/datasets/${detail.id}`;
  const templates = [...new Set(detail.offers.filter(canBeBought).map((o) => o.license.template))];
  const licenses = templates.map((template) => licenseOf(template, pageUrl));
  return toCroissant(
    {
      id: detail.id,
      title: detail.title,
      description: metadata.description ?? detail.title,
      url: pageUrl,
      vendor,
      metadata,
      // No release, no version: `0.0.0` named one that does not exist.
      version: latest?.version,
      licenses,
      datePublished: detail.publishedAt ?? undefined,
      dateModified: detail.updatedAt,
    },
    latest ? latest.files.map((f) => ({ ...f, url: `${pageUrl}/versions/${latest.id}/files/${encodePath(f.path)}` })) : [],
  );
}

/** A file's path as URL path segments, each percent-encoded (`音频/第 1 段.wav`). */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * A license as the card names it: its title, and an open license's canonical URL, or, for the
 * others, the listing's page, where its offers state the terms.
 */
function licenseOf(template: string, pageUrl: string): CroissantLicense {
  if (!isLicenseTemplate(template)) return { name: template, url: pageUrl };
  const definition = LICENSE_TEMPLATE_DEFINITIONS[template];
  return { name: definition.title, url: definition.url ?? pageUrl };
}

/** What the listing's compliance block says of its data leaving mainland China. */
export function dataExportOf(metadata: Record<string, unknown>): 'allowed' | 'restricted' {
  const compliance = metadata.compliance as { crossBorderTransfer?: unknown } | undefined;
  return compliance?.crossBorderTransfer === 'restricted' ? 'restricted' : 'allowed';
}
