import { Injectable } from '@nestjs/common';

/** Billing's time: subscriptions renew by it. Tests replace it with one they move. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
