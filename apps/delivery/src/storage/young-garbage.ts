import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Body bytes received between two collections of the young generation. A request body arrives
 * as 64 KiB buffers allocated outside V8's heap; their JavaScript handles are a few dozen bytes
 * each, so the young generation fills (and a scavenge frees them) only every few gigabytes.
 * Long before that, V8 sees hundreds of MiB of outside memory and answers with a full
 * mark-compact of the whole heap, every 64 MiB or so: 14-16 per GiB uploaded, each costing what
 * delivery's heap weighs (Nest, TypeORM, the SDKs). Measured here on a plain receiver carrying a
 * heap of that size, a 1 GiB upload took 2.4-2.7 s; collecting the young generation every 32 MiB
 * (a scavenge takes 0.3 ms when most of it is dead) freed the buffers first, no mark-compact ran,
 * and it took 1.35-2.2 s. In delivery the CPU per GiB fell as much; its wall time moved less
 * (docs/storage.md, 2026-12-03).
 */
const SCAVENGE_EVERY_BYTES = 32 * 1024 * 1024;

type Collect = (options: { type: 'minor' }) => void;

/**
 * V8's `gc` function, taken once from a context created while `--expose-gc` is set (and the flag
 * unset again, so no other code finds a global `gc`); null where the flag is refused.
 */
let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect === undefined) {
    const exposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
    try {
      if (!exposed) setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect;
    } catch {
      collect = null;
    } finally {
      if (!exposed) setFlagsFromString('--no-expose-gc');
    }
  }
  return collect;
}

/**
 * Takes V8's `gc` function now: call it once as storage is made, before an upload starts the
 * hashing worker threads, so that none of them sees the flag while it is set.
 */
export function prepareYoungCollection(): void {
  collector();
}

let received = 0;

/**
 * Counts body bytes received by this process (every put adds to one count) and collects the
 * young generation each SCAVENGE_EVERY_BYTES.
 */
export function receivedBodyBytes(bytes: number): void {
  received += bytes;
  if (received < SCAVENGE_EVERY_BYTES) return;
  received = 0;
  collector()?.({ type: 'minor' });
}
