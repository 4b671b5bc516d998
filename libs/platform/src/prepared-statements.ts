import { createHash } from 'node:crypto';
import { Client, type QueryConfig } from 'pg';

/**
 * Statements whose text starts with this are parsed and planned on every call: for a statement
 * whose best plan depends on its values (a full-text search, where one word matches ten rows
 * and another ten thousand), so that PostgreSQL never settles on one generic plan for it.
 */
export const PLANNED_PER_CALL = '/* planned per call */';

/** Texts a connection prepares at most: the apps' fixed statements fit many times over. */
export const MAX_PREPARED_PER_CONNECTION = 500;
/**
 * A `*` that lists a table's columns (`SELECT *`, `RETURNING *`, `t.*`; not `count(*)`): a
 * prepared statement with one fails with RESULT_TYPE_CHANGED once a migration adds a column, so
 * such a statement is never prepared. A multiplication is caught too, and merely goes unnamed.
 */
const EXPANDS_COLUMNS = /(?<!\()\*(?!\))/;
/** SQLSTATE 0A000, "cached plan must not change result type": a table changed under a prepared statement. */
const RESULT_TYPE_CHANGED = '0A000';
/** Texts a connection remembers having seen once, before it forgets them all and starts again. */
const MAX_SEEN_PER_CONNECTION = 2_000;

/**
 * A pg client that sends a statement it runs again as a named prepared statement: PostgreSQL then
 * parses it once per connection and, after a few runs, reuses its plan instead of parsing and
 * planning it on every call (in the purchase saga planning took about a third of the database's
 * time). Only parameterized statements, from their second run on a connection, and at most
 * MAX_PREPARED_PER_CONNECTION of them: a statement built for one request (a search with its
 * filters) goes unnamed as before, and so does any text marked PLANNED_PER_CALL or reading a
 * table's columns with `*`. A migration that changes a table under a running app can still make
 * PostgreSQL refuse a prepared statement's plan once (RESULT_TYPE_CHANGED, when a column the
 * statement returns changed its type): that call fails, and the statement goes unnamed from then
 * on. The pool makes its connections with it (`databasePoolOptions`).
 */
export class PreparingClient extends Client {
  /** Text -> statement name, of the statements prepared on this connection. */
  private readonly prepared = new Map<string, string>();
  /** Parameterized texts run once on this connection and not prepared yet. */
  private readonly seen = new Set<string>();
  /** Texts whose prepared plan PostgreSQL refused after a change to a table (RESULT_TYPE_CHANGED). */
  private readonly refused = new Set<string>();

  // pg's overloads (callback or promise, text or config) all go through here unchanged but one.
  override query(...args: unknown[]): never {
    const query = super.query.bind(this) as unknown as (...a: unknown[]) => never;
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && args.length === 2) {
      const name = this.nameFor(text);
      if (name) {
        return (query({ name, text, values } satisfies QueryConfig) as Promise<unknown>).catch((error: unknown) => {
          if ((error as { code?: string }).code === RESULT_TYPE_CHANGED) this.unprepare(text);
          throw error;
        }) as never;
      }
    }
    return query(...args);
  }

  /** A statement whose plan went stale is sent unnamed from now on, parsed and planned afresh each time. */
  private unprepare(text: string): void {
    this.prepared.delete(text);
    this.refused.add(text);
  }

  private nameFor(text: string): string | undefined {
    const known = this.prepared.get(text);
    if (known) return known;
    if (text.startsWith(PLANNED_PER_CALL) || this.prepared.size >= MAX_PREPARED_PER_CONNECTION || this.refused.has(text) || EXPANDS_COLUMNS.test(text)) return undefined;
    if (!this.seen.has(text)) {
      if (this.seen.size >= MAX_SEEN_PER_CONNECTION) this.seen.clear();
      this.seen.add(text);
      return undefined;
    }
    this.seen.delete(text);
    const name = statementName(text);
    this.prepared.set(text, name);
    return name;
  }
}

/** The name a text is prepared under: the same on every connection, different for every text. */
export function statementName(text: string): string {
  return `trove_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}
