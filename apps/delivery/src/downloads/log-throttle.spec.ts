import { LogThrottle, type Admitted } from './log-throttle';

const MINUTE = 60_000;

/** A throttle on a clock the test moves by hand. */
function throttle(maxKeys = 1000): { admit: (key: string) => number | undefined; shared: (key: string) => Admitted | undefined; advance: (ms: number) => void } {
  let now = 1_000_000;
  const subject = new LogThrottle(10 * MINUTE, maxKeys, () => now);
  return {
    // How many were held back, when the key's own line is written (undefined otherwise).
    admit: (key) => {
      const admitted = subject.admit(key);
      if (admitted?.shared) throw new Error(`${key} was logged on the shared line`);
      return admitted?.suppressed;
    },
    shared: (key) => subject.admit(key),
    advance: (ms) => (now += ms),
  };
}

describe('LogThrottle', () => {
  it('logs the first occurrence of a key and none of its repeats within the interval', () => {
    const { admit, advance } = throttle();
    expect(admit('a')).toBe(0);
    expect(admit('a')).toBeUndefined();
    advance(10 * MINUTE - 1);
    expect(admit('a')).toBeUndefined();
  });

  it('logs the key again once the interval has passed, with the repeats held back since its last line', () => {
    const { admit, advance } = throttle();
    admit('a');
    for (let i = 0; i < 1234; i++) admit('a');
    advance(10 * MINUTE);
    expect(admit('a')).toBe(1234);
    // The count starts over from that line, and so does the interval.
    admit('a');
    advance(10 * MINUTE - 1);
    expect(admit('a')).toBeUndefined();
    advance(1);
    expect(admit('a')).toBe(2);
  });

  it('throttles each key on its own', () => {
    const { admit, advance } = throttle();
    expect(admit('a')).toBe(0);
    advance(MINUTE);
    expect(admit('b')).toBe(0);
    admit('a');
    advance(9 * MINUTE);
    expect(admit('a')).toBe(1);
    expect(admit('b')).toBeUndefined();
  });

  it('remembers at most maxKeys keys, making room by forgetting one logged longer than an interval ago', () => {
    const { admit, advance } = throttle(2);
    admit('a');
    advance(1);
    admit('b');
    advance(10 * MINUTE);
    admit('b');
    // 'a' was logged an interval ago: 'c' takes its place, and 'a' comes back as new.
    expect(admit('c')).toBe(0);
    expect(admit('c')).toBeUndefined();
    advance(10 * MINUTE);
    expect(admit('a')).toBe(0);
  });

  it('gives keys beyond those remembered one shared line per interval, however many there are', () => {
    const { admit, shared, advance } = throttle(2);
    admit('a');
    admit('b');
    // A client cycling through 1,000 missing objects: one line, not 998.
    let lines = 0;
    for (let i = 0; i < 998; i++) if (shared(`object-${i}`) !== undefined) lines++;
    expect(lines).toBe(1);
    // The remembered keys keep their own lines.
    expect(admit('a')).toBeUndefined();
    advance(10 * MINUTE);
    // An interval later the shared line comes again, telling the 997 held back; 'a' is logged
    // again, and 'b' (logged longest ago) makes room for a new key.
    expect(admit('a')).toBe(1);
    expect(admit('object-0')).toBe(0);
    expect(shared('object-1')).toEqual({ suppressed: 997, shared: true });
  });
});
