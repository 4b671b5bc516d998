import { IsOptional, IsString } from 'class-validator';

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
}
