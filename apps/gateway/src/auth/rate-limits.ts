import { SetMetadata } from '@nestjs/common';

/** Sign-ups are counted per client address over this window. */
export const SIGN_UP_WINDOW_MS = 60 * 60 * 1000;

export const SIGN_UP_LIMIT = 'trove:sign-up-limit';

/**
 * Marks the sign-up route, whose body is read into `body` (its class of rules): a sign-up the
 * rules accept is limited to SIGNUPS_PER_ADDRESS_PER_HOUR per client address per hour, which
 * replaces the per-second limit there (see RateLimitGuard); one they refuse creates nothing and
 * is counted per second like any call without a key.
 */
export const SignUpLimit = (body: new () => object) => SetMetadata(SIGN_UP_LIMIT, body);
