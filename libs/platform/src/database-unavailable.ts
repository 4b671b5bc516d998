/**
 * SQLSTATEs with which PostgreSQL refuses or drops a connection rather than a statement: every
 * connection slot taken (53300, `max_connections` or a role's or database's limit), starting up,
 * shutting down or in recovery (57P03), the server or an operator ending the session (57P01,
 * 57P02), and the connection exceptions of class 08.
 */
const REFUSING_STATES = new Set(['53300', '57P01', '57P02', '57P03']);
/** What Node says when the server is not there or the network between goes away. */
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
/** pg's own messages for a connection it lost or could not get in time. */
const DRIVER_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect$/, /^Client has encountered a connection error/];

/**
 * Whether `error` says the database could not be reached or took no more connections, as
 * opposed to a statement that failed: the caller's request may succeed when sent again shortly,
 * so it is answered 503 SERVICE_UNAVAILABLE (with Retry-After), not 500. TypeORM rethrows the
 * driver's error as it is when a connection cannot be had, and keeps it as `driverError` when a
 * query fails, so both are looked at.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const candidate of [error, (error as { driverError?: unknown } | null)?.driverError]) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const { code, message } = candidate as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (REFUSING_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || NETWORK_ERRORS.has(code))) return true;
    if (typeof message === 'string' && DRIVER_MESSAGES.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}

export const DATABASE_UNAVAILABLE_DETAIL = 'The database did not take the request (it is restarting or has no free connection); send it again shortly.';
