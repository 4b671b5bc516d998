import { ApiProperty, getSchemaPath } from '@nestjs/swagger';

export class ComponentHealthDto {
  @ApiProperty({ enum: ['ok', 'down'] })
  status: 'ok' | 'down';

  @ApiProperty({ nullable: true, type: Number, description: 'Round trip of the check, in milliseconds' })
  latencyMs: number | null;

  @ApiProperty({ required: false })
  error?: string;
}

export class ServiceHealthDto extends ComponentHealthDto {
  @ApiProperty({ nullable: true, type: String, example: '0.1.0' })
  version: string | null;

  @ApiProperty({ required: false, description: 'The replica that answered' })
  instance?: string;

  @ApiProperty({ required: false, description: 'Events its consumers gave up on and nobody has replayed yet (GET /v1/admin/dead-letters)' })
  deadLetters?: number;
}

export class AdminHealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'] })
  status: 'ok' | 'degraded';

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(ServiceHealthDto) },
    description: 'gateway, catalog, ordering, billing and delivery',
  })
  services: Record<string, ServiceHealthDto>;

  @ApiProperty({ type: ComponentHealthDto })
  nats: ComponentHealthDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(ComponentHealthDto) },
    description: 'Each service database, as that service sees it',
  })
  databases: Record<string, ComponentHealthDto>;

  @ApiProperty({ description: 'Dead letters not yet replayed, all services together: any makes the whole `degraded`', example: 0 })
  deadLetters: number;

  @ApiProperty({ example: '2026-11-28T09:30:00.000Z' })
  checkedAt: string;
}
