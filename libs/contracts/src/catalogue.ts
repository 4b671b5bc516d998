import { getMetadataStorage } from 'class-validator';
import type { EventSubject, MessageClass, RpcSubject } from './subject';

export interface SubjectEntry {
  kind: 'rpc' | 'event';
  subject: string;
  payload: string;
  fields: string[];
}

function fieldsOf(cls: MessageClass<unknown>): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))].sort();
}

function isSubject(value: unknown): value is RpcSubject<unknown, unknown> | EventSubject<unknown> {
  const kind = (value as { kind?: unknown })?.kind;
  return (kind === 'rpc' || kind === 'event') && typeof (value as { subject?: unknown }).subject === 'string';
}

/**
 * Every request-reply subject and event found in the given exports (objects of subjects
 * included), sorted: the source of docs/subjects.md, which is committed and checked so that a
 * contract change shows up in review.
 */
export function subjectCatalogue(exports: Record<string, unknown>): SubjectEntry[] {
  const found = new Map<string, SubjectEntry>();
  const visit = (value: unknown, depth: number): void => {
    if (isSubject(value)) {
      const cls = value.kind === 'rpc' ? value.request : value.payload;
      found.set(value.subject, { kind: value.kind, subject: value.subject, payload: cls.name, fields: fieldsOf(cls) });
    } else if (value && typeof value === 'object' && depth < 4) {
      for (const nested of Object.values(value)) visit(nested, depth + 1);
    }
  };
  for (const value of Object.values(exports)) visit(value, 0);
  return [...found.values()].sort((a, b) => a.subject.localeCompare(b.subject));
}

export function subjectCatalogueMarkdown(entries: SubjectEntry[]): string {
  const rows = entries.map((e) => `| \`${e.subject}\` | ${e.kind === 'rpc' ? 'request-reply' : 'event'} | \`${e.payload}\` | ${e.fields.map((f) => `\`${f}\``).join(', ') || '(none)'} |`);
  return [
    '# NATS subjects and events',
    '',
    'Generated from `libs/contracts` by `npm run contracts`; a test fails when this file and the code disagree.',
    'Subjects are prefixed with `<TROVE_NAMESPACE>.` when a namespace is set. Every service also',
    'answers `<service>.system.health`; gateway replicas share `gateway.identity.changed` (broadcast).',
    '',
    '| subject | kind | payload class | fields |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
