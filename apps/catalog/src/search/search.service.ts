import type { DatasetSearchPage, SearchDatasetsRequest } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { MetricsService, PeriodicJob, RequestContext } from '@trove/platform';
import { Counter, Gauge } from 'prom-client';
import { CatalogConfig } from '../catalog.config';
import { AnswerCache, deepFreeze } from './search-cache';
import { SearchGate } from './search-gate';
import { searchStatement, type SearchStatement } from './search-query';
import { SearchIndexer } from './search-indexer';
import { SearchRepository } from './search.repository';

interface Answer {
  generation: number;
  page: DatasetSearchPage;
}

/** How often rows whose offers expired meanwhile are rebuilt. */
export const SEARCH_REFRESH_INTERVAL_MS = 30_000;

@Injectable()
export class SearchService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SearchService');
  private readonly refresh = new PeriodicJob(this.logger, 'refreshing expired offers in search failed', () => this.refreshExpired());
  private readonly cache: AnswerCache<DatasetSearchPage>;
  /** Statements running now, by cache key: the same search asked meanwhile waits for it. */
  private readonly running = new Map<string, Promise<Answer>>();
  private readonly outcomes: Counter<'outcome'>;
  private readonly gate: SearchGate;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly repository: SearchRepository,
    private readonly indexer: SearchIndexer,
    config: CatalogConfig,
    metrics: MetricsService,
  ) {
    this.cache = new AnswerCache(config.SEARCH_CACHE_ENTRIES, config.SEARCH_CACHE_MAX_BYTES);
    this.gate = new SearchGate(config.SEARCH_MAX_CONCURRENT_STATEMENTS, config.SEARCH_MAX_WAITING);
    this.outcomes = new Counter({
      name: 'trove_search_cache_total',
      help: 'Searches by how they were answered: hit (a cached answer of the current generation), shared (the same search already running), miss (a statement of its own)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    for (const outcome of ['hit', 'shared', 'miss']) this.outcomes.inc({ outcome }, 0);
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
   * read of the generation decides); otherwise the statement runs, and its answer is kept with
   * the generation it saw.
   */
  async search(request: SearchDatasetsRequest): Promise<DatasetSearchPage> {
    const statement = searchStatement(request);
    if (!this.cache.enabled) return this.gated(() => this.unitOfWork.read(() => this.repository.search(statement)));
    // The statement says everything the answer depends on besides the data.
    const key = `${JSON.stringify(statement.params)}${statement.sql}`;
    const generation = await this.unitOfWork.read(() => this.repository.generation());
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
    this.outcomes.inc({ outcome: 'miss' });
    const answer = this.answer(statement);
    this.running.set(key, answer);
    try {
      const { generation: seen, page } = await answer;
      this.cache.set(key, seen, page, Buffer.byteLength(JSON.stringify(page)));
      return page;
    } finally {
      if (this.running.get(key) === answer) this.running.delete(key);
    }
  }

  private async answer(statement: SearchStatement): Promise<Answer> {
    const answer = await this.gated(() => this.unitOfWork.read(() => this.repository.searchWithGeneration(statement)));
    return { generation: answer.generation, page: deepFreeze(answer.page) };
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
