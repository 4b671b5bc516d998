/** How slow a transfer may be: its average pace, held against it once the grace period has passed. */
export interface PaceRule {
  /** Bytes per second; 0 turns the rule off. */
  minimumBytesPerSecond: number;
  graceMs: number;
}

/** How often a transfer's pace is looked at: a timer per transfer, nothing per chunk. */
const CHECK_EVERY_MS = 5_000;

/**
 * Watches a transfer that `moved()` counts the bytes of (from its start): once `rule.graceMs`
 * have passed, the first time its average pace is below the minimum while `finished()` is
 * false, `slow(pace, elapsedMs)` is called (it cuts the transfer off) and the watch ends.
 * Answers the function that ends the watch (call it when the transfer settles). An idle timeout
 * alone never ends a transfer that moves a byte now and then, and such a transfer holds its
 * connection, its buffers and its file open for as long as its client likes.
 */
export function watchPace(rule: PaceRule, moved: () => number, finished: () => boolean, slow: (pace: number, elapsedMs: number) => void): () => void {
  if (rule.minimumBytesPerSecond === 0) return () => undefined;
  const started = Date.now();
  const timer = setInterval(
    () => {
      const elapsed = Date.now() - started;
      if (elapsed < rule.graceMs || finished()) return;
      const pace = (moved() * 1000) / elapsed;
      if (pace >= rule.minimumBytesPerSecond) return;
      clearInterval(timer);
      slow(pace, elapsed);
    },
    Math.min(CHECK_EVERY_MS, Math.max(100, Math.floor(rule.graceMs / 2))),
  );
  timer.unref();
  return () => clearInterval(timer);
}
