import { Logger } from '@nestjs/common';
import { PeriodicJob } from './periodic-job';

/** A pass that ends when the test says so. */
function gate<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets the settled promises' callbacks run. */
const settle = () => jest.advanceTimersByTimeAsync(0);

describe('PeriodicJob', () => {
  const logger = new Logger('test');
  let warn: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers();
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('runs a pass every period, on an unref-ed timer, and at once only when asked', async () => {
    const pass = jest.fn(() => Promise.resolve(1));
    const later = new PeriodicJob(logger, 'failed', pass);
    const setInterval = jest.spyOn(global, 'setInterval');
    later.start(1000);
    expect((setInterval.mock.results[0].value as NodeJS.Timeout).hasRef()).toBe(false);
    await settle();
    expect(pass).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(3000);
    expect(pass).toHaveBeenCalledTimes(3);
    await later.stop();

    const now = jest.fn(() => Promise.resolve(1));
    const job = new PeriodicJob(logger, 'failed', now);
    job.start(1000, { immediately: true });
    await settle();
    expect(now).toHaveBeenCalledTimes(1);
    await job.stop();
  });

  it('skips a tick while a pass runs', async () => {
    const running = gate<number>();
    const pass = jest.fn(() => running.promise);
    const job = new PeriodicJob(logger, 'failed', pass);
    job.start(1000);
    await jest.advanceTimersByTimeAsync(5000);
    expect(pass).toHaveBeenCalledTimes(1);
    running.resolve(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(pass).toHaveBeenCalledTimes(2);
    await job.stop();
  });

  it('joins a running pass when run, answering its result', async () => {
    const running = gate<number>();
    const pass = jest.fn(() => running.promise);
    const job = new PeriodicJob(logger, 'failed', pass);
    job.start(1000);
    await jest.advanceTimersByTimeAsync(1000);
    const joined = job.run();
    const other = job.run(() => Promise.resolve(2));
    running.resolve(7);
    expect(await joined).toBe(7);
    expect(await other).toBe(7);
    expect(pass).toHaveBeenCalledTimes(1);
    // Nothing running: a pass of its own.
    expect(await job.run(() => Promise.resolve(2))).toBe(2);
    await job.stop();
  });

  it('logs a failed tick with its error, and the next tick retries', async () => {
    const error = new Error('database gone');
    const pass = jest.fn().mockRejectedValueOnce(error).mockResolvedValue(1);
    const job = new PeriodicJob(logger, 'the pass failed; the next one retries', pass);
    job.start(1000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(warn).toHaveBeenCalledWith({ err: error }, 'the pass failed; the next one retries');
    await jest.advanceTimersByTimeAsync(1000);
    expect(pass).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledTimes(1);
    await job.stop();
  });

  it('logs a failed tick as an error when the job says so', async () => {
    const error = new Error('NATS unreachable');
    const failed = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const job = new PeriodicJob(logger, 'announcing suspensions failed', () => Promise.reject(error), { level: 'error' });
    job.start(1000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(failed).toHaveBeenCalledWith({ err: error }, 'announcing suspensions failed');
    expect(warn).not.toHaveBeenCalled();
    await job.stop();
  });

  it('rejects a run with its pass error, logging nothing', async () => {
    const error = new Error('database gone');
    const job = new PeriodicJob(logger, 'failed', () => Promise.reject(error));
    await expect(job.run()).rejects.toBe(error);
    expect(warn).not.toHaveBeenCalled();
  });

  it('stops after the running pass has ended, and starts none after', async () => {
    const running = gate<number>();
    const pass = jest.fn(() => running.promise);
    const job = new PeriodicJob(logger, 'failed', pass);
    job.start(1000);
    await jest.advanceTimersByTimeAsync(1000);
    let stopped = false;
    expect(job.stopping).toBe(false);
    const stopping = job.stop().then(() => (stopped = true));
    await settle();
    // The running pass can see it and end at a safe point.
    expect({ stopped, stopping: job.stopping }).toEqual({ stopped: false, stopping: true });
    running.reject(new Error('cut off'));
    await stopping;
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(5000);
    expect(pass).toHaveBeenCalledTimes(1);
    await expect(job.run()).rejects.toThrow('stopped');
  });
});
