import { LogThrottle } from './log-throttle';

const MINUTE = 60_000;

/** A throttle on a clock the test moves by hand. */
function throttle(maxKeys = 1000): { admit: (key: string) => number | undefined; advance: (ms: number) => void } {
  let now = 1_000_000;
  const subject = new LogThrottle(10 * MINUTE, maxKeys, () => now);
  return { admit: (key) => subject.admit(key), advance: (ms) => (now += ms) };
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

  it('remembers at most maxKeys keys, forgetting the one logged longest ago', () => {
    const { admit, advance } = throttle(2);
    admit('a');
    advance(1);
    admit('b');
    admit('a');
    advance(1);
    admit('c');
    // 'a' was forgotten when 'c' came, its repeat with it: it is logged as new.
    expect(admit('a')).toBe(0);
    // 'a' came back in place of 'b', the oldest then; 'c' is still remembered.
    expect(admit('c')).toBeUndefined();
    expect(admit('b')).toBe(0);
  });

  it('counts a key logged again after the interval as the newest when forgetting one', () => {
    const { admit, advance } = throttle(2);
    admit('a');
    advance(1);
    admit('b');
    advance(10 * MINUTE);
    admit('a');
    admit('c');
    // 'b', logged longest ago, was forgotten when 'c' came; 'a' is still remembered.
    expect(admit('a')).toBeUndefined();
    expect(admit('b')).toBe(0);
  });
});
