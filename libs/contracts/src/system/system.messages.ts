import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';

export class HealthPing {
  /** Who is asking, for the service's logs. */
  @IsOptional()
  @IsString()
  from?: string;
}

export type ComponentStatus = 'ok' | 'down';

export interface ServiceHealth {
  service: string;
  version: string;
  status: ComponentStatus;
  instance: string;
  uptimeSeconds: number;
  database: { status: ComponentStatus; latencyMs: number | null; error?: string };
  /** Events in this service's dead-letter table not yet replayed. */
  deadLetters?: number;
  /** Events in this service's outbox not yet published to the stream. */
  unpublishedEvents?: number;
}

/** A page of a service's dead letters, newest first. */
export class ListDeadLetters {
  @IsInt()
  @Min(1)
  @Max(101)
  limit: number;

  /** The (deadAt, id) of the previous page's last item: the page continues after it. */
  @IsOptional()
  @IsISO8601()
  beforeAt?: string;

  @IsOptional()
  @IsUUID()
  beforeId?: string;
}

export class ReplayDeadLetter {
  @IsUUID()
  id: string;
}

/** An event a consumer gave up on, kept with everything needed to understand and replay it. */
export interface DeadLetterView {
  id: string;
  service: string;
  consumer: string;
  subject: string;
  /** Null when the message was too malformed to carry one. */
  eventId: string | null;
  aggregate: { type: string; id: string; seq: number } | null;
  /** The event's payload when it could be decoded, else null (see `body`). */
  payload: unknown;
  /** The message exactly as it arrived, when it was not a decodable event. */
  body: string | null;
  headers: Record<string, string>;
  error: string;
  reason: DeadLetterReason;
  attempts: number;
  firstFailedAt: string;
  deadAt: string;
  replayedAt: string | null;
  replayOutcome: ReplayOutcome | null;
}

export type DeadLetterReason = 'failed' | 'malformed' | 'blocked';

/**
 * What a replay did: applied it now; found it already applied (a repeated replay, or the event
 * arrived again meanwhile); the handler failed again; or an earlier event of its aggregate is
 * still unapplied, so it must wait for that one.
 */
export type ReplayOutcome = 'applied' | 'already-applied' | 'failed' | 'blocked' | 'malformed';

export interface DeadLetterList {
  items: DeadLetterView[];
}

export interface DeadLetterReplayResult {
  /** False when this service holds no dead letter with that id. */
  found: boolean;
  outcome?: ReplayOutcome;
  error?: string;
  deadLetter?: DeadLetterView;
}
