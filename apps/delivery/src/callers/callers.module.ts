import { Module } from '@nestjs/common';
import { CallerStatusRepository } from './caller-status.repository';
import { CallersService } from './callers.service';

/** Revoked API keys and organizations' statuses, from the gateway's events. */
@Module({
  providers: [CallerStatusRepository, CallersService],
  exports: [CallerStatusRepository],
})
export class CallersModule {}
