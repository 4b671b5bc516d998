import type { DatasetSearchPage, SearchDatasetsRequest } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { PLANNED_PER_CALL } from '@trove/platform';
import type { LicenseTermsValue } from '@trove/licensing';
import { LIVE_SALES_JSON_SQL, liveSalesOf, type LiveExclusiveSale, type LiveSaleJson } from '../offers/exclusive-availability';
import type { SearchDocument, SearchableOffer } from './search-document';
import { VENDOR_SUSPENDED_SQL } from '../datasets/dataset.repository';
import { orderedPageStatement, searchPage, type OrderedKey, type SearchRow, type SearchStatement } from './search-query';

export const upsertSearchDocumentSql = `
  INSERT INTO dataset_search (dataset_id, modality, domain, languages, language_keys, annotation_types, licenses, min_prices, document, published_at, refresh_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::tsvector, $10, $11)
  ON CONFLICT (dataset_id) DO UPDATE SET
    modality = EXCLUDED.modality, domain = EXCLUDED.domain, languages = EXCLUDED.languages, language_keys = EXCLUDED.language_keys,
    annotation_types = EXCLUDED.annotation_types, licenses = EXCLUDED.licenses, min_prices = EXCLUDED.min_prices,
    document = EXCLUDED.document, published_at = EXCLUDED.published_at, refresh_at = EXCLUDED.refresh_at`;

export const removeOtherModalitiesSql = `DELETE FROM dataset_search WHERE dataset_id = $1 AND modality <> $2`;

export function searchDocumentParams(d: SearchDocument): unknown[] {
  return [d.datasetId, d.modality, d.domain, d.languages, d.languageKeys, d.annotationTypes, d.licenses, JSON.stringify(d.minPrices), d.document, d.publishedAt, d.refreshAt];
}

/**
 * A row as the table is now: partitioned by modality (migration 1764500002000), so a dataset
 * whose modality changed leaves its old partition first, and with its `facet_key` (migration
 * 1764500004000). The statement and parameters above stay as the narrowing migration, which
 * ran before both, wrote rows.
 */
export const replaceSearchRowSql = `
  INSERT INTO dataset_search (dataset_id, modality, domain, languages, language_keys, annotation_types, licenses, min_prices, document, published_at, refresh_at, facet_key)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::tsvector, $10, $11, $12)
  ON CONFLICT (dataset_id, modality) DO UPDATE SET
    domain = EXCLUDED.domain, languages = EXCLUDED.languages, language_keys = EXCLUDED.language_keys,
    annotation_types = EXCLUDED.annotation_types, licenses = EXCLUDED.licenses, min_prices = EXCLUDED.min_prices,
    document = EXCLUDED.document, published_at = EXCLUDED.published_at, refresh_at = EXCLUDED.refresh_at, facet_key = EXCLUDED.facet_key`;

export function searchRowParams(d: SearchDocument): unknown[] {
  return [...searchDocumentParams(d), d.facetKey];
}

/** A live public offer as the indexer reads it: whether it is exclusive, and the terms an exclusive one would sell. */
export interface IndexableOffer extends SearchableOffer {
  exclusive: boolean;
  terms: LicenseTermsValue;
}

/** A dataset as the indexer reads it, with its vendor's standing, its live public offers and its live exclusive sales. */
export interface IndexableDataset {
  id: string;
  vendorOrganizationId: string;
  vendorSuspended: boolean;
  title: string;
  status: string;
  metadata: Record<string, unknown>;
  publishedAt: Date | null;
  offers: IndexableOffer[];
  liveExclusiveSales: LiveExclusiveSale[];
}

/** The search projection, on the unit of work in progress. */
@Injectable()
export class SearchRepository extends TransactionalRepository {
  /**
   * The dataset, whether its vendor is suspended, the offers anyone may buy now and the live
   * exclusive sales that may block some of them; read inside the changing transaction.
   */
  async indexable(datasetId: string): Promise<IndexableDataset | null> {
    const rows = (await this.transaction.query(
      `SELECT d.id, d.vendor_organization_id, ${VENDOR_SUSPENDED_SQL} AS vendor_suspended, d.title, d.status, d.metadata, d.published_at,
              coalesce((SELECT json_agg(json_build_object('template', o.template, 'model', o.pricing ->> 'model', 'priceAmount', o.price_amount, 'currency', o.currency, 'expiresAt', o.expires_at,
                                                   'exclusive', o.exclusive, 'terms', o.terms))
                        FROM offer o WHERE o.dataset_id = d.id AND o.status = 'active' AND o.buyer_org_id IS NULL
                          AND (o.expires_at IS NULL OR o.expires_at > now())), '[]'::json) AS offers,
              ${LIVE_SALES_JSON_SQL} AS sales
       FROM dataset d WHERE d.id = $1`,
      [datasetId],
    )) as { id: string; vendor_organization_id: string; vendor_suspended: boolean; title: string; status: string; metadata: Record<string, unknown>; published_at: Date | null;
      offers: { template: string; model: string; priceAmount: string | number; currency: string; expiresAt: string | null; exclusive: boolean; terms: LicenseTermsValue }[];
      sales: LiveSaleJson[];
    }[];
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      vendorOrganizationId: row.vendor_organization_id,
      vendorSuspended: row.vendor_suspended,
      title: row.title,
      status: row.status,
      metadata: row.metadata,
      publishedAt: row.published_at,
      offers: row.offers.map((o) => ({
        template: o.template,
        model: o.model,
        priceAmount: Number(o.priceAmount),
        currency: o.currency,
        expiresAt: o.expiresAt ? new Date(o.expiresAt) : null,
        exclusive: o.exclusive,
        terms: o.terms,
      })),
      liveExclusiveSales: liveSalesOf(row.sales),
    };
  }

  async upsert(document: SearchDocument): Promise<void> {
    await this.transaction.query(removeOtherModalitiesSql, [document.datasetId, document.modality]);
    await this.transaction.query(replaceSearchRowSql, searchRowParams(document));
  }

  async remove(datasetId: string): Promise<void> {
    await this.transaction.query(`DELETE FROM dataset_search WHERE dataset_id = $1`, [datasetId]);
  }

  /** Deletes the rows of every listing of a vendor: one statement, so one raise of the generation. */
  async removeOfVendor(vendorOrganizationId: string): Promise<void> {
    await this.transaction.query(`DELETE FROM dataset_search WHERE dataset_id IN (SELECT id FROM dataset WHERE vendor_organization_id = $1)`, [vendorOrganizationId]);
  }

  /** Datasets whose offers have expired, or whose blocking exclusive sales have ended, since they were indexed. */
  async due(limit: number): Promise<string[]> {
    const rows = (await this.manager.query(`SELECT dataset_id FROM dataset_search WHERE refresh_at <= now() ORDER BY refresh_at LIMIT $1`, [limit])) as { dataset_id: string }[];
    return rows.map((r) => r.dataset_id);
  }

  /** Locks the dataset row, so a refresh and a command on the same dataset take turns. */
  async lockDataset(datasetId: string): Promise<void> {
    await this.transaction.query(`SELECT 1 FROM dataset WHERE id = $1 FOR UPDATE`, [datasetId]);
  }

  async search(statement: SearchStatement): Promise<DatasetSearchPage> {
    const rows = (await this.manager.query(`${PLANNED_PER_CALL}\n${statement.sql}`, statement.params)) as SearchRow[];
    return searchPage(rows[0], statement);
  }

  /** The published set's generation, raised by every change to `dataset_search` (see search-cache.ts). */
  async generation(): Promise<number> {
    const rows = (await this.manager.query(`SELECT generation FROM search_generation`)) as { generation: string }[];
    return Number(rows[0].generation);
  }

  /**
   * The answer with the generation its statement saw: one statement, so one snapshot for both.
   * Planned for its own words and filters every time (PLANNED_PER_CALL): how many rows a word
   * matches decides the plan.
   */
  async searchWithGeneration(statement: SearchStatement): Promise<{ generation: number; row: SearchRow; page: DatasetSearchPage }> {
    const rows = (await this.manager.query(`${PLANNED_PER_CALL}\nSELECT (SELECT generation FROM search_generation) AS generation, answer.* FROM (${statement.sql}) answer`, statement.params)) as (SearchRow & {
      generation: string;
    })[];
    const { generation, ...row } = rows[0];
    return { generation: Number(generation), row, page: searchPage(row, statement) };
  }

  /** The items of the listings `entries` names, in the search's order, and the generation they were read at (orderedPageStatement). */
  async orderedPage(request: SearchDatasetsRequest, entries: readonly OrderedKey[]): Promise<{ generation: number; found: number; items: SearchRow['items'] }> {
    const { sql, params } = orderedPageStatement(request, entries);
    const [row] = (await this.manager.query(sql, params)) as { generation: string; found: number; items: SearchRow['items'] }[];
    return { generation: Number(row.generation), found: row.found, items: row.items };
  }
}
