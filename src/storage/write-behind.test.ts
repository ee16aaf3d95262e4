/**
 * The write-behind thread (write-behind.ts) through the file store it serves: deferred
 * appends land in order; any other use of the file waits until they did (a read of the
 * tail, a truncate, a sync, closing the descriptor); a write the worker cannot make is
 * reported for its owner and fails every later write to that descriptor (no hole) until
 * the descriptor is forgotten. The worker is held by its test gate to make "not landed
 * yet" a state to look at, not a race.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FileStore } from './store.js';
import { writeBehind } from './write-behind.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-write-behind-');

/** Turns of the event loop (a count, not a time). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('write-behind', () => {
  it('defers small appends only inside a session, lands them in order, and a read of the tail waits for them', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    const files = [0, 1, 2].map((i) => store.open(`f${i}.log`, true));
    for (const f of files) f.append(Buffer.from('head-'), 0, 5); // no session: written at once
    const before = writeBehind.stats.writes;
    writeBehind.hold(true);
    writeBehind.begin();
    for (let round = 0; round < 50; round++) for (const [i, f] of files.entries()) f.append(Buffer.from(`${i}.${round};`), 0, `${i}.${round};`.length);
    const big = Buffer.alloc(600, 'b'); // past deferBytesMax: written at once, after the deferred ones (it waits for them)
    const landed = writeBehind.endAll();
    expect(writeBehind.stats.writes - before).toBe(150);
    let resolved = false;
    void landed.then(() => (resolved = true));
    await turns(200);
    // Held: nothing landed, and the answer waits.
    expect(resolved).toBe(false);
    expect(readFileSync(join(dir, 'f0.log'), 'latin1')).toBe('head-');
    writeBehind.hold(false);
    // A use of the file (here a read of the tail) blocks until its deferred appends landed.
    const tail = Buffer.alloc(7);
    expect(files[2]!.read(tail, 0, 7, files[2]!.size - 7)).toBe(7);
    expect(tail.toString()).toBe('8;2.49;');
    expect((await landed).failed).toEqual([]);
    files[1]!.append(big, 0, big.length);
    for (const [i, f] of files.entries()) {
      const want = 'head-' + Array.from({ length: 50 }, (_, r) => `${i}.${r};`).join('') + (i === 1 ? big.toString() : '');
      expect(readFileSync(join(dir, `f${i}.log`), 'latin1')).toBe(want);
      expect(f.size).toBe(want.length);
      f.close();
    }
    store.release();
  });

  it('an append of any size behind a deferred append still in flight is deferred too, in order, without waiting for the worker', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    const f = store.open('behind.log', true);
    const g = store.open('alone.log', true);
    writeBehind.hold(true);
    writeBehind.begin();
    f.append(Buffer.from('one;'), 0, 4);
    const first = writeBehind.endAll();
    // The worker is held: the first session has not landed. A second request's appends to
    // the same file, past deferBytesMax (append and appendv), are deferred behind it; a
    // wait for the worker here would block until the 60 s limit and throw.
    const before = writeBehind.stats.writes;
    writeBehind.begin();
    const big = Buffer.alloc(700, 'b');
    f.append(big, 0, big.length);
    f.appendv([Buffer.from('head'), Buffer.alloc(600, 'c')]);
    // A file with nothing in flight writes a large append at once, as before.
    g.append(big, 0, big.length);
    const second = writeBehind.endAll();
    expect(writeBehind.stats.writes - before).toBe(3);
    expect(readFileSync(join(dir, 'alone.log'), 'latin1')).toBe(big.toString());
    expect(readFileSync(join(dir, 'behind.log'), 'latin1')).toBe('');
    writeBehind.hold(false);
    expect((await first).failed).toEqual([]);
    expect((await second).failed).toEqual([]);
    const want = 'one;' + big.toString() + 'head' + 'c'.repeat(600);
    expect(readFileSync(join(dir, 'behind.log'), 'latin1')).toBe(want);
    expect(f.size).toBe(want.length);
    f.close();
    g.close();
    store.release();
  });

  it('truncate, sync and closing the descriptor each wait for the deferred appends first', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    const f = store.open('t.log', true);
    for (const op of ['truncate', 'sync', 'close'] as const) {
      writeBehind.hold(true);
      writeBehind.begin();
      const at = f.size;
      f.append(Buffer.from(`${op}-bytes`), 0, `${op}-bytes`.length);
      const landed = writeBehind.endAll();
      // Another thread opens the gate a while later; this one blocks in the operation
      // meanwhile. Without the wait, the truncate would come before the write (the file
      // would end in the whole 'truncate-bytes'), the sync would resolve with the bytes
      // not written yet, and the close would leave the worker a closed descriptor (EBADF).
      const opener = new Worker(
        "const { workerData: w } = require('node:worker_threads'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, w.ms); Atomics.store(w.gate, 1, 0); Atomics.notify(w.gate, 1);",
        { eval: true, workerData: { gate: writeBehind.gate(), ms: 300 } },
      );
      if (op === 'truncate') {
        f.truncate(at + 3);
        expect(readFileSync(join(dir, 't.log'), 'latin1').slice(at)).toBe('tru');
      } else if (op === 'sync') {
        await f.sync();
        expect(readFileSync(join(dir, 't.log'), 'latin1').slice(at)).toBe('sync-bytes');
      } else {
        f.close();
        expect(readFileSync(join(dir, 't.log'), 'latin1').slice(at)).toBe('close-bytes');
      }
      expect((await landed).failed).toEqual([]);
      await opener.terminate();
    }
    store.release();
  });

  it('a write the worker cannot make fails its owner and every later write to that descriptor until it is forgotten', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    const good = store.open('good.log', true);
    good.append(Buffer.from('x'), 0, 1);
    const path = join(dir, 'readonly.log');
    closeSync(openSync(path, 'w'));
    const fd = openSync(path, 'r'); // a write to it fails with EBADF
    const file = { deferredSeq: 0 };
    const session = (owner: number): Promise<{ failed: readonly { owner: number; message: string }[] }> => {
      writeBehind.begin();
      writeBehind.owner = owner;
      writeBehind.defer(file, fd, 0, Buffer.from('nope'), 0, 4);
      writeBehind.owner = 100 + owner;
      good.append(Buffer.from('ok'), 0, 2);
      return writeBehind.endAll();
    };
    const first = await session(1);
    expect(first.failed.map((f) => f.owner)).toEqual([1]);
    expect(first.failed[0]!.message).toMatch(/EBADF/);
    const second = await session(2);
    expect(second.failed.map((f) => f.owner)).toEqual([2]);
    expect(second.failed[0]!.message).toMatch(/an earlier write to this file failed/);
    writeBehind.forget(fd);
    const third = await session(3);
    expect(third.failed[0]!.message).toMatch(/EBADF/);
    closeSync(fd);
    writeBehind.forget(fd);
    // The other file's writes in the same sessions landed, in order.
    good.close();
    expect(readFileSync(join(dir, 'good.log'), 'latin1')).toBe('xokokok');
    store.release();
  });
});
