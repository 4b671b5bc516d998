import type { DatasetSearchPage, SearchDatasetsRequest } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { MetricsService, PeriodicJob, RequestContext } from '@trove/platform';
import { Counter, Gauge } from 'prom-client';
import { CatalogConfig } from '../catalog.config';
import { FreshReads } from './fresh-reads';
import { AnswerCache, deepFreeze } from './search-cache';
import { SearchGate } from './search-gate';
import { searchPage, searchStatement, type OrderedKey, type SearchRow, type SearchStatement } from './search-query';
import { SearchIndexer } from './search-indexer';
import { SearchRepository } from './search.repository';

interface Answer {
  generation: number;
  page: DatasetSearchPage;
}

/**
 * What a search's statement read beyond its page: the total and facets, which no page size or
 * cursor changes, and its leading matches in order (`complete` when they are all of them).
 */
interface KnownOrder {
  row: Omit<SearchRow, 'items' | 'ordered'>;
  entries: readonly OrderedKey[];
  complete: boolean;
}

/** How often rows whose offers expired meanwhile are rebuilt. */
export const SEARCH_REFRESH_INTERVAL_MS = 30_000;

@Injectable()
export class SearchService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SearchService');
  private readonly refresh = new PeriodicJob(this.logger, 'refreshing expired offers in search failed', () => this.refreshExpired());
  private readonly cache: AnswerCache<DatasetSearchPage>;
  /** Searches' known orders, by the search without its page size and cursor (orderKey). */
  private readonly orders: AnswerCache<KnownOrder>;
  private readonly orderedKeys: number;
  /** Statements running now, by cache key: the same search asked meanwhile waits for it. */
  private readonly running = new Map<string, Promise<Answer>>();
  private readonly outcomes: Counter<'outcome'>;
  private readonly gate: SearchGate;
  /** The published set's generation, read after each search arrives, one read for all waiting. */
  private readonly generations: FreshReads<number>;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly repository: SearchRepository,
    private readonly indexer: SearchIndexer,
    config: CatalogConfig,
    metrics: MetricsService,
  ) {
    this.cache = new AnswerCache(config.SEARCH_CACHE_ENTRIES, config.SEARCH_CACHE_MAX_BYTES);
    // A known order holds keys only (about 130 bytes each): a quarter of the answers' budget.
    this.orderedKeys = this.cache.enabled ? config.SEARCH_ORDERED_KEYS : 0;
    this.orders = new AnswerCache(this.orderedKeys > 0 ? config.SEARCH_CACHE_ENTRIES : 0, Math.floor(config.SEARCH_CACHE_MAX_BYTES / 4));
    this.gate = new SearchGate(config.SEARCH_MAX_CONCURRENT_STATEMENTS, config.SEARCH_MAX_WAITING);
    this.generations = new FreshReads(() => this.unitOfWork.read(() => this.repository.generation()));
    this.outcomes = new Counter({
      name: 'trove_search_cache_total',
      help: 'Searches by how they were answered: hit (a cached answer of the current generation), shared (the same search already running), page (another page size or a later page of a search whose order is known, read by key), miss (a statement of its own)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    for (const outcome of ['hit', 'shared', 'page', 'miss']) this.outcomes.inc({ outcome }, 0);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const service = this;
    new Gauge({
      name: 'trove_search_cache_entries',
      help: 'Search answers in the cache',
      registers: [metrics.registry],
      collect() {
        this.set(service.cache.size);
      },
    });
    new Gauge({
      name: 'trove_search_statements',
      help: 'Search statements running now (state=running, at most SEARCH_MAX_CONCURRENT_STATEMENTS) and waiting for their turn (state=waiting)',
      labelNames: ['state'] as const,
      registers: [metrics.registry],
      collect() {
        this.set({ state: 'running' }, service.gate.running);
        this.set({ state: 'waiting' }, service.gate.waiting);
      },
    });
    new Gauge({
      name: 'trove_search_cache_bytes',
      help: 'Bytes of JSON the cached search answers take',
      registers: [metrics.registry],
      collect() {
        this.set(service.cache.bytes);
      },
    });
  }

  /**
   * Published datasets only: the projection holds nothing else. An answer is served from the
   * cache only if no change to the projection has committed since it was computed (one indexed
   * read of the generation, started after the search arrived, decides: fresh-reads.ts);
   * otherwise the statement runs, and its answer is kept with the generation it saw.
   */
  async search(request: SearchDatasetsRequest): Promise<DatasetSearchPage> {
    const statement = searchStatement(request, { ordered: this.orderedKeys });
    if (!this.cache.enabled) return this.gated(() => this.unitOfWork.read(() => this.repository.search(statement)));
    // The statement says everything the answer depends on besides the data.
    const key = `${JSON.stringify(statement.params)}${statement.sql}`;
    const generation = await this.generations.get();
    const cached = this.cache.get(key, generation);
    if (cached) {
      this.outcomes.inc({ outcome: 'hit' });
      return cached;
    }
    const running = this.running.get(key);
    if (running) {
      // Computed from a snapshot at least as new as the generation this search read.
      const shared = await running.catch(() => undefined);
      if (shared && shared.generation >= generation) {
        this.outcomes.inc({ outcome: 'shared' });
        return shared.page;
      }
    }
    const answer = this.answer(request, statement, generation);
    this.running.set(key, answer);
    try {
      const { generation: seen, page } = await answer;
      this.cache.set(key, seen, page, Buffer.byteLength(JSON.stringify(page)));
      return page;
    } finally {
      if (this.running.get(key) === answer) this.running.delete(key);
    }
  }

  /**
   * A page of a search whose order is known at this generation is read by key (a few index reads);
   * any other runs the statement, which also keeps the search's order when it reads its first page.
   */
  private async answer(request: SearchDatasetsRequest, statement: SearchStatement, generation: number): Promise<Answer> {
    const orderKey = this.orderKey(request);
    const known = this.orders.get(orderKey, generation);
    const entries = known && this.entriesFor(known, statement);
    if (known && entries) {
      const read = await this.unitOfWork.read(() => this.repository.orderedPage(request, entries));
      // Read at the order's generation, every listing still there: the statement's own items.
      if (read.generation === generation && read.found === entries.length) {
        this.outcomes.inc({ outcome: 'page' });
        return { generation, page: deepFreeze(searchPage({ ...known.row, items: read.items }, statement)) };
      }
    }
    this.outcomes.inc({ outcome: 'miss' });
    const answer = await this.gated(() => this.unitOfWork.read(() => this.repository.searchWithGeneration(statement)));
    const { ordered, items: _items, ...row } = answer.row;
    if (ordered) {
      const order: KnownOrder = { row, entries: ordered, complete: ordered.length <= statement.ordered };
      this.orders.set(orderKey, answer.generation, deepFreeze(order), Buffer.byteLength(JSON.stringify(order)));
    }
    return { generation: answer.generation, page: deepFreeze(answer.page) };
  }

  /**
   * The same search whatever its page size and cursor: the one statement its known order comes
   * from. Not the cursor tag: that reads punctuation-only words as no words, so `q=！&maxPrice=…`
   * (nothing matches) would be served the order of `maxPrice=…`.
   */
  private orderKey(request: SearchDatasetsRequest): string {
    const first = searchStatement({ ...request, limit: undefined, cursor: undefined }, { ordered: this.orderedKeys });
    return `${JSON.stringify(first.params)}${first.sql}`;
  }

  /**
   * The matches a page needs from a known order: the page size + 1 after the cursor (the last one
   * says whether there is a next page), or every one left when the order holds them all.
   * Undefined when the order does not reach that far, or the cursor names no key of it.
   */
  private entriesFor(known: KnownOrder, statement: SearchStatement): readonly OrderedKey[] | undefined {
    let start = 0;
    if (statement.after) {
      const key = JSON.stringify(statement.after);
      const at = known.entries.findIndex((entry) => JSON.stringify(entry.slice(0, 4)) === key);
      if (at < 0) return undefined;
      start = at + 1;
    }
    const end = start + statement.limit + 1;
    if (end > known.entries.length && !known.complete) return undefined;
    return known.entries.slice(start, end);
  }

  /** A statement in its turn (search-gate.ts), dropped if its caller's deadline passes first. */
  private gated<T>(work: () => Promise<T>): Promise<T> {
    return this.gate.run(work, RequestContext.current()?.deadline);
  }

  /**
   * An offer that expires changes no row by itself; its dataset's search row names it in
   * `refresh_at` and is rebuilt here once that time has passed. Returns how many were rebuilt.
   */
  async refreshExpired(batch = 100): Promise<number> {
    const due = await this.unitOfWork.read(() => this.repository.due(batch));
    for (const datasetId of due) {
      await this.unitOfWork.run(async () => {
        await this.repository.lockDataset(datasetId);
        await this.indexer.reindex(datasetId);
      });
    }
    return due.length;
  }

  onApplicationBootstrap(): void {
    this.refresh.start(SEARCH_REFRESH_INTERVAL_MS);
  }

  onModuleDestroy(): Promise<void> {
    return this.refresh.stop();
  }
}
