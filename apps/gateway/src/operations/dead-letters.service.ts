import { BACKEND_SERVICES, CommonErrorCode, SystemSubjects, type DeadLetterList, type DeadLetterReplayResult, type DeadLetterView, type ServiceName } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { DeadLetterResponder, RpcClient } from '@trove/messaging';
import { decodeCursor, DEFAULT_PAGE_SIZE, ServiceException, toPage } from '@trove/platform';
import type { DeadLetterPageDto, DeadLetterQuery, ReplayResultDto } from './dead-letters.dto';

/** Services get this long to list their dead letters; one that does not answer is reported, not waited for. */
const LIST_TIMEOUT_MS = 2000;

type Answer<T> = { service: ServiceName; ok: true; value: T } | { service: ServiceName; ok: false; error: string };

/**
 * The dead letters of every service, for the operators. Each service keeps its own in its own
 * database; the gateway asks each one over NATS (its own it reads in process) and merges the
 * pages newest first. A service that does not answer is named in `unreachable`, never a 500.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly rpc: RpcClient,
    private readonly local: DeadLetterResponder,
  ) {}

  async list(query: DeadLetterQuery): Promise<DeadLetterPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const scope = `dead-letters|${query.service ?? '*'}`;
    const after = decodeCursor(query.cursor, scope);
    // One more than a page from each: the merged extra one says whether there is a next page.
    const request = { limit: limit + 1, ...(after ? { beforeAt: after.at.toISOString(), beforeId: after.id } : {}) };
    const services: ServiceName[] = query.service ? [query.service] : ['gateway', ...BACKEND_SERVICES];
    const answers = await this.askAll<DeadLetterList>(services, (service) =>
      service === 'gateway' ? this.local.list(request) : this.rpc.send(SystemSubjects.listDeadLetters[service], request, { timeoutMs: LIST_TIMEOUT_MS }),
    );
    const items = answers
      .flatMap((a) => (a.ok ? a.value.items : []))
      .sort((x, y) => (x.deadAt === y.deadAt ? compare(y.id, x.id) : compare(y.deadAt, x.deadAt)));
    const page = toPage(items, limit, (item: DeadLetterView) => ({ at: new Date(item.deadAt), id: item.id }), (item) => item, scope);
    return { ...page, unreachable: answers.flatMap((a) => (a.ok ? [] : [{ service: a.service, error: a.error }])) };
  }

  /** Asks every service, since only the one that holds the dead letter knows it. */
  async replay(id: string): Promise<ReplayResultDto> {
    const answers = await this.askAll<DeadLetterReplayResult>(['gateway', ...BACKEND_SERVICES], (service) =>
      service === 'gateway' ? this.local.replay({ id }) : this.rpc.send(SystemSubjects.replayDeadLetter[service], { id }),
    );
    const found = answers.find((a) => a.ok && a.value.found);
    if (found?.ok) {
      const { outcome, error, deadLetter } = found.value;
      return { outcome: outcome!, ...(error ? { error } : {}), deadLetter: deadLetter! };
    }
    const unreachable = answers.filter((a) => !a.ok).map((a) => a.service);
    if (unreachable.length > 0) {
      throw new ServiceException(
        CommonErrorCode.SERVICE_UNAVAILABLE,
        `No answering service holds dead letter ${id}; ${unreachable.join(', ')} did not answer and may hold it.`,
      );
    }
    throw new ServiceException(CommonErrorCode.NOT_FOUND, `No service holds a dead letter ${id}.`);
  }

  private askAll<T>(services: ServiceName[], ask: (service: Exclude<ServiceName, 'gateway'> | 'gateway') => Promise<T>): Promise<Answer<T>[]> {
    return Promise.all(
      services.map(async (service): Promise<Answer<T>> => {
        try {
          return { service, ok: true, value: await ask(service as never) };
        } catch (error) {
          if (error instanceof ServiceException && error.code !== CommonErrorCode.SERVICE_UNAVAILABLE) throw error;
          return { service, ok: false, error: (error as Error).message };
        }
      }),
    );
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
