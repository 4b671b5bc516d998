import { Injectable } from '@nestjs/common';
import { GatewayConfig } from '../gateway.config';

export const AUTH_FAILURE_WINDOW_MS = 60_000;

/** Addresses remembered at once; past it the oldest window goes (that address starts afresh). */
const MAX_ADDRESSES = 100_000;

export interface FailureWindow {
  failures: number;
  endsAt: number;
}

/**
 * Failed authentications per client address, in fixed one-minute windows, counted by each
 * gateway replica. Only failures are counted: a company behind one NAT address whose scripts
 * send a wrong key does not lose the use of its valid keys.
 */
@Injectable()
export class AuthFailures {
  // Insertion order is window order (a new window is re-inserted at the end), so the first
  // entries are always the ones that ended first.
  private readonly windows = new Map<string, FailureWindow>();

  constructor(private readonly config: GatewayConfig) {}

  /** Whole seconds until the address may fail again; 0 while it is under the limit. */
  refusedFor(address: string, now = Date.now()): number {
    const window = this.windows.get(clientOf(address));
    if (!window || window.endsAt <= now || window.failures < this.config.AUTH_FAILURES_PER_ADDRESS) return 0;
    return Math.max(1, Math.ceil((window.endsAt - now) / 1000));
  }

  /** Counts a failure; answers the window it was counted in, for `forgive`. */
  record(address: string, now = Date.now()): FailureWindow {
    address = clientOf(address);
    const window = this.windows.get(address);
    if (window && window.endsAt > now) {
      window.failures++;
      return window;
    }
    this.windows.delete(address);
    this.forgetEnded(now);
    const opened = { failures: 1, endsAt: now + AUTH_FAILURE_WINDOW_MS };
    this.windows.set(address, opened);
    return opened;
  }

  /**
   * Takes back a failure recorded for a request while its key was checked (the window `record`
   * answered), once the key proved valid or the check could not be made: each request counts as
   * a failure until then (see AuthGuard), so requests in flight at once cannot all pass under
   * the limit. A window that has ended since is left as it is: forgiving in the window that
   * followed took back a failure that was someone else's.
   */
  forgive(window: FailureWindow): void {
    if (window.failures > 0) window.failures--;
  }

  private forgetEnded(now: number): void {
    for (const [address, window] of this.windows) {
      if (window.endsAt > now && this.windows.size < MAX_ADDRESSES) return;
      this.windows.delete(address);
    }
  }
}

/**
 * Who is counted: an IPv4 address as it is (also when written as IPv4-mapped IPv6), an IPv6
 * address by its /64, since one subscriber usually holds a whole /64 and could otherwise try
 * keys from billions of addresses.
 */
export function clientOf(address: string): string {
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  const bare = address.split('%')[0];
  const groups = (part: string) => (part ? part.split(':') : []).flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const full = [...before, ...Array(Math.max(0, 8 - before.length - after.length)).fill('0'), ...after];
  return `${full
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}
