import { SetMetadata } from '@nestjs/common';

/** Sign-ups are counted per client address over this window. */
export const SIGN_UP_WINDOW_MS = 60 * 60 * 1000;

export const SIGN_UP_LIMIT = 'trove:sign-up-limit';

/**
 * Marks the sign-up route: it is limited to SIGNUPS_PER_ADDRESS_PER_HOUR per client address per
 * hour. This replaces the per-second limit there, it does not add to it (see RateLimitGuard).
 */
export const SignUpLimit = () => SetMetadata(SIGN_UP_LIMIT, true);
