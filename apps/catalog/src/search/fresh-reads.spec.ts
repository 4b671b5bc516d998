import { AsyncLocalStorage } from 'node:async_hooks';
import { FreshReads } from './fresh-reads';

/** A read the test finishes by hand, recording when each one started and what it saw. */
function database() {
  let generation = 1;
  const started: { saw: number; finish: () => void; fail: (error: Error) => void }[] = [];
  const read = () =>
    new Promise<number>((resolve, reject) => {
      // The snapshot is taken as the read starts, as PostgreSQL takes a statement's.
      const saw = generation;
      started.push({ saw, finish: () => resolve(saw), fail: reject });
    });
  return {
    read,
    started,
    commit: () => generation++,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FreshReads', () => {
  it('gives a caller who arrives during a read the next read, which sees what committed before the caller arrived', async () => {
    const db = database();
    const reads = new FreshReads(db.read);
    const first = reads.get();
    await settle();
    expect(db.started).toHaveLength(1);

    // A publication commits while the first read is under way, then a buyer searches.
    db.commit();
    const afterCommit = reads.get();
    await settle();
    expect(db.started).toHaveLength(1);
    db.started[0].finish();
    expect(await first).toBe(1);
    await settle();
    expect(db.started).toHaveLength(2);
    db.started[1].finish();
    expect(await afterCommit).toBe(2);
  });

  it('shares one read among every caller who arrives before it starts', async () => {
    const db = database();
    const reads = new FreshReads(db.read);
    const first = reads.get();
    await settle();
    const waiting = [reads.get(), reads.get(), reads.get()];
    db.started[0].finish();
    await first;
    await settle();
    db.started[1].finish();
    expect(await Promise.all(waiting)).toEqual([1, 1, 1]);
    expect(db.started).toHaveLength(2);
  });

  it('reads again for a caller who comes after a read has ended: nothing is kept', async () => {
    const db = database();
    const reads = new FreshReads(db.read);
    const first = reads.get();
    await settle();
    db.started[0].finish();
    expect(await first).toBe(1);
    db.commit();
    const second = reads.get();
    await settle();
    db.started[1].finish();
    expect(await second).toBe(2);
  });

  it('fails the callers of a failed read, and the next caller gets a read of its own', async () => {
    const db = database();
    const reads = new FreshReads(db.read);
    const failing = [reads.get(), reads.get()];
    await settle();
    db.started[0].fail(new Error('connection terminated'));
    for (const caller of failing) await expect(caller).rejects.toThrow('connection terminated');
    const later = reads.get();
    await settle();
    db.started[1].finish();
    expect(await later).toBe(1);
  });

  it('also starts the next read when the one under way fails', async () => {
    const db = database();
    const reads = new FreshReads(db.read);
    const failing = reads.get();
    await settle();
    const waiting = reads.get();
    db.started[0].fail(new Error('connection terminated'));
    await expect(failing).rejects.toThrow('connection terminated');
    await settle();
    db.started[1].finish();
    expect(await waiting).toBe(1);
  });

  it("runs a shared read outside the context of the caller who happened to start it", async () => {
    const request = new AsyncLocalStorage<{ deadline: number }>();
    const seen: ({ deadline: number } | undefined)[] = [];
    const reads = new FreshReads(async () => {
      seen.push(request.getStore());
      return 1;
    });
    await request.run({ deadline: Date.now() }, () => reads.get());
    expect(seen).toEqual([undefined]);
  });
});
