/**
 * Sign-ups are counted per client address over an hour. This replaces the per-second limit on
 * the sign-up route (it overrides the `default` throttler there), it does not add to it.
 */
export const SIGN_UP_WINDOW_MS = 60 * 60 * 1000;

export const signUpThrottle = {
  default: {
    limit: () => Number(process.env.SIGNUPS_PER_ADDRESS_PER_HOUR ?? 10),
    ttl: SIGN_UP_WINDOW_MS,
  },
};
