/** Sign-ups are counted per client address over an hour, on top of the per-second limit. */
export const SIGN_UP_WINDOW_MS = 60 * 60 * 1000;

export const signUpThrottle = {
  default: {
    limit: () => Number(process.env.SIGNUPS_PER_ADDRESS_PER_HOUR ?? 10),
    ttl: SIGN_UP_WINDOW_MS,
  },
};
