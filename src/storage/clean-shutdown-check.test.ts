/**
 * The clean-shutdown checkpoint records where each log ended; a clean open checks the
 * files against it, so a log changed behind the library's back after a clean close (a
 * segment deleted, appended to, or added) is scanned as after a crash instead of being
 * trusted. Both homes of the checkpoint: a log's own folder, and a broker's data folder.
 */
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { encodeBatchUncompressed } from '../record/batch.js';
import { decodeBatches } from '../record/codecs/index.js';
import { LogDirCheckpoints } from './log-dir-checkpoints.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';
import { FileStore } from './store.js';

const tempDir = useTempDirs('tributary-clean-check-');
const config = { segmentBytes: 4096, indexIntervalBytes: 256 };
const batch = (i: number, baseOffset = 0): Buffer => encodeBatchUncompressed([{ value: Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`), timestamp: 1_000 + i }], { baseOffset });

type Home = 'own folder' | 'data folder';

/** Opens the log with its checkpoints in its own folder, or in the data folder as a broker keeps them. */
function opener(dataDir: string, home: Home): () => Promise<PartitionLog> {
  return async () => {
    const options: PartitionLogOptions = { dataDir, topic: 't', partition: 0, config };
    if (home === 'own folder') return PartitionLog.open(options);
    const dirCheckpoints = LogDirCheckpoints.open(dataDir, 60_000);
    const log = await PartitionLog.open({ ...options, checkpoints: (store) => dirCheckpoints.forLog('t', 0, store) });
    const close = log.close.bind(log);
    log.close = async () => {
      await close();
      dirCheckpoints.close();
    };
    return log;
  };
}

async function writeLog(open: () => Promise<PartitionLog>, batches: number): Promise<number> {
  const log = await open();
  for (let i = 0; i < batches; i++) log.write(batch(i));
  const end = log.logEndOffset;
  await log.close();
  return end;
}

/** Every record, checked: offsets contiguous from the start, values as written. */
async function valuesOf(log: PartitionLog): Promise<number> {
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    for (const r of await decodeBatches(log.read(offset, { maxBytes: 1 << 16 }).records)) {
      expect(r.offset).toBe(offset);
      expect(Buffer.from(r.value!).toString()).toBe(`value-${offset}-${'x'.repeat(offset % 50)}`);
      offset++;
    }
  }
  return offset;
}

const segments = (dataDir: string): string[] =>
  readdirSync(join(dataDir, 't-0'))
    .filter((n) => n.endsWith('.log'))
    .sort();

describe.each<Home>(['own folder', 'data folder'])('the clean-shutdown checkpoint, kept in the %s, against the files', (home) => {
  it('a clean reopen of an untouched log trusts it: nothing scanned', async () => {
    const dataDir = tempDir();
    const open = opener(dataDir, home);
    const end = await writeLog(open, 120);
    const log = await open();
    expect(log.recovery).toMatchObject({ clean: true, segmentsScanned: 0 });
    expect(log.recovery.cleanShutdownDistrusted).toBeUndefined();
    expect(await valuesOf(log)).toBe(end);
    await log.close();
  });

  it('a last segment deleted behind our back is detected: every segment is scanned, and the log ends where its files do', async () => {
    const dataDir = tempDir();
    const open = opener(dataDir, home);
    const end = await writeLog(open, 250);
    const files = segments(dataDir);
    expect(files.length).toBeGreaterThan(3);
    const lostBase = Number(files.at(-1)!.slice(0, 20));
    for (const suffix of ['.log', '.index', '.timeindex']) rmSync(join(dataDir, 't-0', files.at(-1)!.replace('.log', suffix)), { force: true });
    const log = await open();
    expect(log.recovery.clean).toBe(false);
    expect(log.recovery.cleanShutdownDistrusted).toBe(`the clean-shutdown checkpoint says the log ends at offset ${end}, its files at ${lostBase}`);
    expect(log.recovery.segmentsScanned).toBe(files.length - 1);
    expect(log.logEndOffset).toBe(lostBase);
    expect(await valuesOf(log)).toBe(lostBase);
    await log.close();
    // The next clean open trusts the log again, with its new end.
    const again = await open();
    expect(again.recovery).toMatchObject({ clean: true, segmentsScanned: 0 });
    expect(again.logEndOffset).toBe(lostBase);
    await again.close();
  });

  it('a batch appended behind our back is detected: every segment is scanned (the batch, whole and continuing the log, is kept)', async () => {
    const dataDir = tempDir();
    const open = opener(dataDir, home);
    const end = await writeLog(open, 120);
    const files = segments(dataDir);
    appendFileSync(join(dataDir, 't-0', files.at(-1)!), batch(end, end));
    const log = await open();
    expect(log.recovery.clean).toBe(false);
    expect(log.recovery.cleanShutdownDistrusted).toBe(`the clean-shutdown checkpoint says the log ends at offset ${end}, its files at ${end + 1}`);
    expect(log.recovery.segmentsScanned).toBe(files.length);
    expect(await valuesOf(log)).toBe(end + 1);
    await log.close();
  });

  it('a segment added behind our back after the last is detected', async () => {
    const dataDir = tempDir();
    const open = opener(dataDir, home);
    const end = await writeLog(open, 120);
    const name = `${String(end).padStart(20, '0')}.log`;
    appendFileSync(join(dataDir, 't-0', name), Buffer.concat([batch(end, end), batch(end + 1, end + 1)]));
    const log = await open();
    // The data folder's marker names the files (no listing): a segment at the log end is looked for by name.
    const why = home === 'own folder' ? `its files at ${end + 2}` : 'and a segment file starts there';
    expect(log.recovery.cleanShutdownDistrusted).toBe(`the clean-shutdown checkpoint says the log ends at offset ${end}, ${why}`);
    expect(await valuesOf(log)).toBe(end + 2);
    await log.close();
  });
});

describe('the data folder marker', () => {
  it('names the clean logs as before, then gives their log ends in lines an earlier version passes over', async () => {
    const dataDir = tempDir();
    const end = await writeLog(opener(dataDir, 'data folder'), 30);
    expect(readFileSync(join(dataDir, '.kafka_cleanshutdown'), 'utf8')).toBe(`t 0\nt 0 ${end} - - ${segments(dataDir).map((f) => Number(f.slice(0, 20))).join(',')} -\n`);
  });
});

describe('the background check of what a clean open trusted unchecked', () => {
  it('checks every trusted batch, a step at a time, and finds a damaged one with KAFKA_STORAGE_ERROR (never serving it)', async () => {
    const dataDir = tempDir();
    const open = opener(dataDir, 'own folder');
    const end = await writeLog(open, 250);
    // Intact: the steps end, each taking at most about its budget.
    const intact = await open();
    let steps = 0;
    while (intact.verifyUnchecked(2048)) steps++;
    expect(steps).toBeGreaterThan(intact.sizeInBytes / 4096);
    expect(await valuesOf(intact)).toBe(end);
    await intact.close();

    const files = segments(dataDir);
    const path = join(dataDir, 't-0', files[1]!);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);
    const log = await open();
    expect(log.recovery).toMatchObject({ clean: true, segmentsScanned: 0 });
    let error: unknown;
    try {
      while (log.verifyUnchecked(2048));
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(String((error as Error).message)).toMatch(new RegExp(`segment ${Number(files[1]!.slice(0, 20))} of t-0 is damaged`));
    await log.close();
  });
});

describe('the epoch history and file names in the data folder marker', () => {
  it('a clean open takes it (and the file names) from the marker without reading the epoch file or listing the folder; a garbled line sends it to the files', async () => {
    const dataDir = tempDir();
    const read: string[] = [];
    const open = async (): Promise<PartitionLog> => {
      const dirCheckpoints = LogDirCheckpoints.open(dataDir, 60_000);
      const log = await PartitionLog.open({
        dataDir,
        topic: 't',
        partition: 0,
        config,
        checkpoints: (store) => dirCheckpoints.forLog('t', 0, store),
        openStore: (dir) =>
          new Proxy(new FileStore(dir), {
            get(target, prop, receiver) {
              if (prop === 'readAll') return (name: string) => (read.push(name), target.readAll(name));
              if (prop === 'list') return () => (read.push('(listing)'), target.list());
              const v = Reflect.get(target, prop, receiver) as unknown;
              return typeof v === 'function' ? v.bind(target) : v;
            },
          }),
      });
      const close = log.close.bind(log);
      log.close = async () => {
        await close();
        dirCheckpoints.close();
      };
      return log;
    };
    const log = await open();
    for (let i = 0; i < 10; i++) log.write(batch(i), { leaderEpoch: i < 4 ? 3 : 5 });
    await log.close();
    const history = [
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 4 },
    ];
    // The eighth field: the epoch file holds none of it (all past the recovery point, 0): the close left it behind.
    expect(readFileSync(join(dataDir, '.kafka_cleanshutdown'), 'utf8')).toBe('t 0\nt 0 10 - 3:0,5:4 0 - 0\n');
    read.length = 0;
    const clean = await open();
    expect(clean.epochs()).toEqual(history);
    expect(read).toEqual([]); // no epoch file, no listing: the marker named the files
    expect(await valuesOf(clean)).toBe(10);
    await clean.close();

    writeFileSync(join(dataDir, '.kafka_cleanshutdown'), 't 0\nt 0 10 - 5:0,3:4 0 -\n'); // epochs out of order
    read.length = 0;
    const fromFile = await open();
    // Not trusted as clean (the epoch file it would fall back on may have been left behind): scanned from the recovery point.
    expect(fromFile.recovery).toMatchObject({ clean: false, segmentsScanned: 1 });
    expect(read).toContain('(listing)'); // (no epoch file to read: the clean close left it behind)
    expect(fromFile.epochs()).toEqual(history);
    await fromFile.close();
  });
});

describe('a clean log whose only segment is empty', () => {
  it('reopens where it started (the marker names an empty segment file that exists, not one never created)', async () => {
    const dataDir = tempDir();
    const open = opener(dataDir, 'data folder');
    const log = await open();
    for (let i = 0; i < 5; i++) log.write(batch(i));
    log.truncateFullyAndStartAt(50); // a follower that fell behind the leader's log start
    await log.close();
    const again = await open();
    expect(again.recovery.clean).toBe(true);
    expect([again.logStartOffset, again.logEndOffset]).toEqual([50, 50]);
    await again.close();

    const fresh = tempDir();
    const never = await opener(fresh, 'data folder')();
    await never.close(); // no record: no segment file
    expect(readFileSync(join(fresh, '.kafka_cleanshutdown'), 'utf8')).toBe('t 0\nt 0 0 - - - -\n');
  });
});
