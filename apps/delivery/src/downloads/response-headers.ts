import type { FastifyReply } from 'fastify';

/** The headers set on the reply before the handler ran (by the platform's hooks), as `writeHead` takes them. */
export function platformHeaders(reply: FastifyReply): Record<string, string | number | string[]> {
  const set: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) set[name] = value;
  return set;
}

/** `attachment`, with the last segment of `path` as the file name a browser saves it under. */
export function attachmentDisposition(path: string): string {
  return `attachment; filename*=UTF-8''${attrValue(path.split('/').pop()!)}`;
}

/**
 * A file name as RFC 8187 wants it in `filename*`: encodeURIComponent leaves `'`, `(`, `)` and `*`
 * as they are, which that grammar does not allow (a `'` ends the charset part), so a browser
 * would save `it's (1).wav` under another name.
 */
function attrValue(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
