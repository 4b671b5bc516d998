// Output of the apps started by npm start.
//
// The apps log pino JSON, one object per line. When our stdout is a terminal we print them
// through pino-pretty: time, level, app, message, the remaining fields on the same line, an
// error's stack below. Otherwise (piped to a file or a collector, or in a container) the lines
// stay JSON, with an "app" field added when the line names neither "app" nor "service", so they
// stay parseable and attributable; a line that is not JSON (a crash before the logger exists) is
// prefixed with "[app] ". TROVE_LOG_FORMAT=pretty|json overrides the choice.
//
// This module is imported before node_modules may exist (a fresh clone), so it uses Node
// built-ins at load time; pino-pretty is loaded by loadPrettyPrinter() once the dependencies
// are installed, and createFormatter({ pretty: true }) needs it loaded.

const APP_COLORS = ['36', '35', '34', '33', '32', '96'];
// Shown elsewhere on the line, or noise in a terminal (the label already names the app).
const IGNORED = ['pid', 'hostname', 'service', 'version', 'instance', 'context', 'req', 'res', 'responseTime'];

let prettyFactory = null;

/** Loads pino-pretty (a dependency: call it after the install). */
export async function loadPrettyPrinter() {
  const pinoPretty = await import('pino-pretty');
  prettyFactory = pinoPretty.prettyFactory ?? pinoPretty.default.prettyFactory;
}

/** Pretty lines for a terminal, JSON for everything else, unless TROVE_LOG_FORMAT says. */
export function prettyLogs(stream = process.stdout, env = process.env) {
  const forced = env.TROVE_LOG_FORMAT;
  if (forced === 'pretty') return true;
  if (forced === 'json') return false;
  return Boolean(stream.isTTY);
}

function parseObject(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    const obj = JSON.parse(line);
    return obj && typeof obj === 'object' && !Array.isArray(obj) ? obj : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns format(line) -> string (without a trailing newline) for one app.
 * `index` picks the app's color; `width` aligns the app names.
 */
export function createFormatter({ app, index = 0, width = 8, pretty, color = true }) {
  if (!pretty) {
    return (line) => {
      const obj = parseObject(line);
      if (!obj) return `[${app}] ${line}`;
      return 'app' in obj || 'service' in obj ? line : JSON.stringify({ app, ...obj });
    };
  }

  if (!prettyFactory) throw new Error('createFormatter({ pretty: true }) needs loadPrettyPrinter() first');
  const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const label = paint(APP_COLORS[index % APP_COLORS.length], app.padEnd(width));
  const format = prettyFactory({
    colorize: color,
    translateTime: 'UTC:HH:MM:ss.l',
    ignore: IGNORED.join(','),
    singleLine: true,
    errorLikeObjectKeys: ['err', 'error'],
    // "gateway  [RoutesResolver] message GET /v1/me 200 3ms": the app, Nest's context, the
    // message, and for an access line the request in one short phrase.
    messageFormat: (log, messageKey) => {
      const parts = [label];
      if (typeof log.context === 'string') parts.push(paint('2', `[${log.context}]`));
      const msg = log[messageKey] ?? log.message;
      if (msg !== undefined) parts.push(typeof msg === 'string' ? msg : JSON.stringify(msg));
      if (log.req && typeof log.req === 'object' && log.req.method) {
        const status = log.res?.statusCode ? ` ${log.res.statusCode}` : '';
        const took = log.responseTime !== undefined ? ` ${log.responseTime}ms` : '';
        parts.push(`${log.req.method} ${log.req.url ?? ''}${status}${took}`);
      }
      return parts.join(' ');
    },
  });
  const time = () => `[${new Date().toISOString().slice(11, 23)}]`;

  return (line) => {
    if (!parseObject(line)) return `${time()} ${label} ${line}`;
    return format(line).replace(/\n$/, '');
  };
}

/** Keeps the last `size` lines (for "why did it die" reports). */
export class RingBuffer {
  constructor(size = 40) {
    this.size = size;
    this.lines = [];
  }

  push(line) {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  last(n = this.size) {
    return this.lines.slice(-n);
  }
}
