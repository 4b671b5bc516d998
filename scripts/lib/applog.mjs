// Output of the apps started by npm start (Node built-ins only).
//
// The apps log pino JSON, one object per line. When our stdout is a terminal we print them
// pretty: time, app, level, message, the remaining fields compact, an error's stack below.
// Otherwise (piped to a file or a collector) the lines stay JSON, with an "app" field added
// when the line names neither "app" nor "service", so they stay parseable and attributable; a line that is not JSON
// (a crash before the logger exists) is prefixed with "[app] ".
// TROVE_LOG_FORMAT=pretty|json overrides the choice.

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLORS = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
const APP_COLORS = ['36', '35', '34', '33', '32', '96'];
// Shown elsewhere on the line (or noise in a terminal: the label already names the app).
const HIDDEN = new Set(['level', 'time', 'msg', 'message', 'pid', 'hostname', 'v', 'app', 'service', 'version', 'instance', 'context', 'err', 'error', 'stack']);

export function prettyLogs(stream = process.stdout) {
  const forced = process.env.TROVE_LOG_FORMAT;
  if (forced === 'pretty') return true;
  if (forced === 'json') return false;
  return Boolean(stream.isTTY);
}

function compact(value) {
  if (value === null || typeof value !== 'object') return typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value);
  const json = JSON.stringify(value);
  return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

function formatTime(time) {
  const d = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  return Number.isNaN(d.getTime()) ? new Date().toISOString().slice(11, 23) : d.toISOString().slice(11, 23);
}

/**
 * Returns format(line) -> string (without newline) for one app.
 * `index` picks the app's color; `width` aligns the app names.
 */
export function createFormatter({ app, index = 0, width = 8, pretty, color = true }) {
  const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const label = paint(APP_COLORS[index % APP_COLORS.length], app.padEnd(width));

  if (!pretty) {
    return (line) => {
      if (line.startsWith('{')) {
        try {
          const obj = JSON.parse(line);
          if (obj && typeof obj === 'object' && !Array.isArray(obj)) return 'app' in obj || 'service' in obj ? line : JSON.stringify({ app, ...obj });
        } catch {
          /* not JSON after all */
        }
      }
      return `[${app}] ${line}`;
    };
  }

  return (line) => {
    let obj;
    if (line.startsWith('{')) {
      try {
        obj = JSON.parse(line);
      } catch {
        obj = undefined;
      }
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      return `${paint('2', formatTime())} ${label} ${line}`;
    }
    const level = typeof obj.level === 'number' ? obj.level : { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }[obj.level] ?? 30;
    const levelName = (LEVELS[level] ?? String(obj.level ?? 'INFO').toUpperCase()).padEnd(5);
    const parts = [paint('2', formatTime(obj.time)), label, paint(LEVEL_COLORS[level] ?? '0', levelName)];
    if (typeof obj.context === 'string') parts.push(paint('2', `[${obj.context}]`));
    const msg = obj.msg ?? obj.message;
    if (msg !== undefined) parts.push(typeof msg === 'string' ? msg : JSON.stringify(msg));
    // pino-http request lines: "GET /v1/x 200 3ms" reads better than two nested objects.
    if (obj.req && typeof obj.req === 'object' && obj.req.method) {
      parts.push(`${obj.req.method} ${obj.req.url ?? ''}${obj.res?.statusCode ? ` ${obj.res.statusCode}` : ''}${obj.responseTime !== undefined ? ` ${obj.responseTime}ms` : ''}`);
    }
    const extras = Object.entries(obj)
      .filter(([key]) => !HIDDEN.has(key) && !(obj.req?.method && ['req', 'res', 'responseTime'].includes(key)))
      .map(([key, value]) => `${key}=${compact(value)}`);
    if (extras.length) parts.push(paint('2', extras.join(' ')));
    let out = parts.join(' ');
    const err = obj.err ?? obj.error;
    const stack = (err && typeof err === 'object' ? err.stack ?? err.message : err) ?? obj.stack;
    if (stack) out += `\n${paint('2', String(stack).replace(/^/gm, '    '))}`;
    return out;
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
