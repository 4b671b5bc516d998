import { SERVICES, type DeadLetterReason, type ReplayOutcome, type ServiceName } from '@trove/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '@trove/platform';
import { PageOf } from '../openapi/page.dto';

const REASONS: DeadLetterReason[] = ['failed', 'malformed', 'blocked'];
const OUTCOMES: ReplayOutcome[] = ['applied', 'already-applied', 'failed', 'blocked', 'malformed'];

export class DeadLetterQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SERVICES, description: 'Only this service’s dead letters' })
  @IsOptional()
  @IsIn(SERVICES)
  service?: ServiceName;
}

export class DeadLetterAggregateDto {
  @ApiProperty({ example: 'ordering.order' })
  type: string;

  @ApiProperty({ example: '0b7f6a9e-3c1d-4e0b-9a51-2f6d8c4e7a10' })
  id: string;

  @ApiProperty({ description: 'The event’s place in the aggregate’s history: 1, 2, 3…', example: 2 })
  seq: number;
}

export class DeadLetterDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: SERVICES, description: 'The service whose consumer gave up on the event' })
  service: string;

  @ApiProperty({ example: 'order-entitlements' })
  consumer: string;

  @ApiProperty({ example: 'evt.ordering.order.paid.v1' })
  subject: string;

  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'Null when the message was too malformed to carry one' })
  eventId: string | null;

  @ApiProperty({ nullable: true, type: DeadLetterAggregateDto })
  aggregate: DeadLetterAggregateDto | null;

  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: 'The event’s payload, when the message could be decoded' })
  payload: unknown;

  @ApiProperty({ nullable: true, type: String, description: 'The message as it arrived, when it was not a decodable event' })
  body: string | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'NATS headers, among them x-correlation-id' })
  headers: Record<string, string>;

  @ApiProperty({ enum: REASONS, description: '`failed`: its handler failed EVENT_MAX_ATTEMPTS times; `malformed`: not an event of its subject; `blocked`: an earlier event of its aggregate is a dead letter' })
  reason: DeadLetterReason;

  @ApiProperty({ description: 'The last error' })
  error: string;

  @ApiProperty({ example: 10 })
  attempts: number;

  @ApiProperty({ example: '2026-11-30T08:15:02.114Z' })
  firstFailedAt: string;

  @ApiProperty({ example: '2026-11-30T08:17:03.530Z' })
  deadAt: string;

  @ApiProperty({ nullable: true, type: String, description: 'When a replay applied it, or found it already applied' })
  replayedAt: string | null;

  @ApiProperty({ nullable: true, enum: [...OUTCOMES, null] })
  replayOutcome: ReplayOutcome | null;
}

export class UnreachableServiceDto {
  @ApiProperty({ enum: SERVICES })
  service: string;

  @ApiProperty({ example: 'The billing service is not running.' })
  error: string;
}

export class DeadLetterPageDto extends PageOf(DeadLetterDto) {
  @ApiProperty({ type: [UnreachableServiceDto], description: 'Services that did not answer: their dead letters are missing from this page' })
  unreachable: UnreachableServiceDto[];
}

export class ReplayResultDto {
  @ApiProperty({
    enum: OUTCOMES,
    description:
      '`applied`: the handler applied it now; `already-applied`: it had been applied before (a repeated replay changes nothing); `failed`: the handler failed again (see `error`); `blocked`: an earlier event of its aggregate must be replayed first; `malformed`: the event still does not fit its contract',
  })
  outcome: ReplayOutcome;

  @ApiPropertyOptional()
  error?: string;

  @ApiProperty({ type: DeadLetterDto, description: 'The dead letter after the replay' })
  deadLetter: DeadLetterDto;
}
