import { SearchGate } from './search-gate';

/** A statement that runs until told to finish. */
function statement(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    finish,
    work: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SearchGate', () => {
  it('runs at most its slots at once, and the rest in the order they came', async () => {
    const gate = new SearchGate(2, 10);
    const log: string[] = [];
    const s = ['普通话', '粤语', '激光雷达', '医疗'].map((name) => statement(log, name));
    const answers = s.map((x) => gate.run(x.work));
    await turn();
    expect(log).toEqual(['start 普通话', 'start 粤语']);
    expect([gate.running, gate.waiting]).toEqual([2, 2]);

    s[1].finish();
    await turn();
    expect(log).toEqual(['start 普通话', 'start 粤语', 'end 粤语', 'start 激光雷达']);
    s[0].finish();
    s[2].finish();
    s[3].finish();
    expect(await Promise.all(answers)).toEqual(['普通话', '粤语', '激光雷达', '医疗']);
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it('turns a search away with 503 once as many are waiting as it keeps, and takes searches again when they have run', async () => {
    const gate = new SearchGate(1, 1);
    const log: string[] = [];
    const [first, second] = [statement(log, 'a'), statement(log, 'b')];
    const running = gate.run(first.work);
    const waiting = gate.run(second.work);
    await expect(gate.run(async () => 'c')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    first.finish();
    second.finish();
    await Promise.all([running, waiting]);
    await expect(gate.run(async () => 'd')).resolves.toBe('d');
  });

  it('drops a search that waited past its deadline without running it, and hands its slot on', async () => {
    const gate = new SearchGate(1, 5);
    const log: string[] = [];
    const [first, next] = [statement(log, 'first'), statement(log, 'next')];
    const running = gate.run(first.work);
    const late = gate.run(async () => log.push('late ran'), Date.now() + 20);
    const after = gate.run(next.work);
    await new Promise((resolve) => setTimeout(resolve, 40));
    first.finish();
    await expect(late).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await turn();
    expect(log).toEqual(['start first', 'end first', 'start next']);
    next.finish();
    await Promise.all([running, after]);
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it('frees the slot of a statement that failed', async () => {
    const gate = new SearchGate(1, 5);
    await expect(gate.run(async () => Promise.reject(new Error('canceling statement due to statement timeout')))).rejects.toThrow('statement timeout');
    await expect(gate.run(async () => 'after')).resolves.toBe('after');
  });
});
