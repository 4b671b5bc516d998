import { CommonErrorCode } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PeriodicJob, ServiceException } from '@trove/platform';
import { createHash } from 'node:crypto';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { EVENT_RETENTION_DAYS } from './jetstream';
import { TransactionalRepository } from './repository';
import { queryOpening, UnitOfWork, type Transaction } from './unit-of-work';

/**
 * The outcome of every command, by (scope, subject, idempotency key): the same in every
 * service's database, like the outbox. Each app's own migration calls these.
 */
export async function createProcessedCommandTableV1(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE processed_command (
      scope text NOT NULL,
      subject text NOT NULL,
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      response jsonb NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, subject, idempotency_key)
    )`);
  await queryRunner.query(`CREATE INDEX processed_command_age_idx ON processed_command (processed_at)`);
}

export async function dropProcessedCommandTableV1(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`DROP TABLE processed_command`);
}

/** Base of each app's own "create processed_command" migration, named with the app's timestamp. */
export abstract class ProcessedCommandTableV1Migration implements MigrationInterface {
  abstract readonly name: string;

  async up(queryRunner: QueryRunner): Promise<void> {
    await createProcessedCommandTableV1(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropProcessedCommandTableV1(queryRunner);
  }
}

/** One command as the service received it. */
export interface CommandKey {
  /** Whose keys these are: the caller's organization, or the calling service. */
  scope: string;
  subject: string;
  idempotencyKey: string;
  /** SHA-256 of the request as its contract read it (UUIDs in lower case, ...), in canonical JSON (keys sorted). */
  requestHash: string;
  /**
   * The hash of the body as it was sent: the one records written before requests were hashed as
   * read hold, which a retry of such a record still matches.
   */
  sentHash?: string;
}

/**
 * The idempotency records of this service's commands. A command's record is inserted first in
 * its transaction and filled with the reply before the commit, so the record and the effect
 * commit together or not at all. A concurrent duplicate's insert waits on the first one's row:
 * after its commit it finds the record and returns the stored reply; after its rollback it
 * applies the command itself.
 */
export class ProcessedCommandRepository extends TransactionalRepository {
  /**
   * Claims the key for this transaction, or returns the reply recorded under it before. Given the
   * transaction (`tx`), the claim may be its first statement and go with its START TRANSACTION.
   */
  async claim(command: CommandKey, tx?: Transaction): Promise<{ replay: false } | { replay: true; response: unknown }> {
    const sql = `INSERT INTO processed_command (scope, subject, idempotency_key, request_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING scope`;
    const parameters = [command.scope, command.subject, command.idempotencyKey, command.requestHash];
    const inserted = (await (tx ? queryOpening(tx, sql, parameters) : this.transaction.query(sql, parameters))) as unknown[];
    if (inserted.length > 0) return { replay: false };
    return { replay: true, response: (await this.recorded(command, this.transaction))!.response };
  }

  /**
   * The reply committed under the key, without a transaction: for a command that looks before
   * it prepares (a key in flight, not yet committed, is not found).
   */
  async find(command: CommandKey): Promise<{ response: unknown } | undefined> {
    return this.recorded(command, this.manager);
  }

  private async recorded(command: CommandKey, manager: EntityManager): Promise<{ response: unknown } | undefined> {
    const [previous] = (await manager.query(
      `SELECT request_hash, response FROM processed_command WHERE scope = $1 AND subject = $2 AND idempotency_key = $3`,
      [command.scope, command.subject, command.idempotencyKey],
    )) as { request_hash: string; response: unknown }[];
    if (!previous) return undefined;
    if (previous.request_hash !== command.requestHash && previous.request_hash !== command.sentHash) {
      throw new ServiceException(
        CommonErrorCode.IDEMPOTENCY_KEY_REUSED,
        `The idempotency key ${command.idempotencyKey} was used before with a different request; use a new key for a new request.`,
      );
    }
    return { response: previous.response };
  }

  /** Forgets the commands processed before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const [, count] = (await this.transaction.query(`DELETE FROM processed_command WHERE processed_at < $1`, [before])) as [unknown, number];
    return count;
  }

  async complete(command: CommandKey, response: unknown): Promise<void> {
    await this.transaction.query(
      `UPDATE processed_command SET response = $4::jsonb WHERE scope = $1 AND subject = $2 AND idempotency_key = $3`,
      [command.scope, command.subject, command.idempotencyKey, JSON.stringify(response ?? null)],
    );
  }
}

/**
 * Keeps processed_command from growing forever. A record must outlive every retry that can
 * still come: a client's within minutes or hours, a saga's (keys derived from event ids) as long
 * as an event can be redelivered. So it goes a day after the stream's retention, like the inbox.
 */
@Injectable()
export class ProcessedCommandJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProcessedCommandJanitor');
  private readonly commands = new ProcessedCommandRepository();
  private readonly job = new PeriodicJob(this.logger, 'pruning failed', () => this.prune());

  constructor(private readonly unitOfWork: UnitOfWork) {}

  onApplicationBootstrap(): void {
    this.job.start(60 * 60 * 1000);
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  async prune(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - (EVENT_RETENTION_DAYS + 1) * 24 * 60 * 60 * 1000);
    const pruned = await this.unitOfWork.run(() => this.commands.prune(before));
    if (pruned > 0) this.logger.log(`pruned ${pruned} processed commands`);
    return pruned;
  }
}

/**
 * The hash of a request as its contract read it (`request`, the validated message): two bodies
 * that say the same thing (an offer id in capitals or not, a language tag as `zh-cn` or `zh-CN`)
 * are one request, so a retry of either replays the first. An id (a field named `id`, `…Id` or
 * `…Ids`) that is a UUID is one id whatever the case of its hex digits (PostgreSQL reads both
 * alike), so it is hashed in small letters; any other text, a bank reference that happens to look
 * like a UUID, is hashed as it is. A request that JSON cannot hold is hashed as sent.
 */
export function readRequestHash(request: object, body: unknown): string {
  let read: unknown;
  try {
    read = JSON.parse(JSON.stringify(request));
  } catch {
    return requestHash(body);
  }
  return hashOf(canonical(read, (text, key) => (key !== undefined && ID_FIELD.test(key) && UUID.test(text) ? text.toLowerCase() : text)));
}

/** The same JSON value gives the same hash whatever the order of its object keys. */
export function requestHash(body: unknown): string {
  return hashOf(canonical(body, (text) => text));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_FIELD = /^(?:id|[A-Za-z]+Ids?)$/;

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** `value` with its object keys sorted, and each string as `text` reads it, given the key it is under (a list's items, under the list's). */
function canonical(value: unknown, text: (value: string, key?: string) => string, key?: string): unknown {
  if (typeof value === 'string') return text(value, key);
  if (Array.isArray(value)) return value.map((item) => canonical(item, text, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((name) => [name, canonical((value as Record<string, unknown>)[name], text, name)]),
    );
  }
  return value;
}
