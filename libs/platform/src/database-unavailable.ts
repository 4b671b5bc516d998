import type { DataSource } from 'typeorm';

/**
 * The database gave no connection for a statement, so the statement never ran: every connection
 * slot taken ("too many clients", 53300), the server starting up or shutting down (57P03), not
 * listening, or the pool's connect timeout passed. The request may succeed when sent again
 * shortly, so it is answered 503 SERVICE_UNAVAILABLE (with Retry-After), not 500.
 *
 * Only failures to obtain a connection are marked (markConnectionFailures): a connection lost
 * while a statement or a COMMIT ran may have left the change made, and stays a 500, as does
 * every error of a statement itself (a bug such as a wrong parameter count, 08P01, included).
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`no database connection: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/** Makes every failure of `dataSource` to obtain a connection from its pool a DatabaseUnavailableError. */
export function markConnectionFailures(dataSource: DataSource): DataSource {
  // TypeORM's PostgresDriver takes every connection its query runners and its own queries use
  // through this one method; the pool's error is passed on as it is.
  const driver = dataSource.driver as unknown as { obtainMasterConnection(): Promise<unknown> };
  const obtain = driver.obtainMasterConnection.bind(driver);
  driver.obtainMasterConnection = () =>
    obtain().catch((error: unknown) => {
      throw new DatabaseUnavailableError(error);
    });
  return dataSource;
}

export function isDatabaseUnavailable(error: unknown): error is DatabaseUnavailableError {
  return error instanceof DatabaseUnavailableError;
}

export const DATABASE_UNAVAILABLE_DETAIL =
  'The database took no request just now (it is restarting or has no free connection): send it again shortly, with the same Idempotency-Key where the route takes one.';
