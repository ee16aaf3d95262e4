/**
 * `tributary dump-log` against the checked-in segment fixture (written by
 * `test/fixtures/dump-log/write-fixture.ts` with `PartitionLog`), a torn and a corrupted
 * copy of it, and the folder of a log that is open (its lock held): the dump only reads.
 * One test runs the real `tributary` as a child process.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { encodeBatch } from '../record/codecs/index.js';
import { PartitionLog } from '../storage/partition-log.js';
import type { CommandIo } from './command.js';
import { dispatch } from './dispatch.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, '..', '..', 'test', 'fixtures', 'dump-log');
const fixture = join(fixtures, 'orders-0');
const expected = readFileSync(join(fixtures, 'expected.txt'), 'utf8');
const tempDir = useTempDirs('tributary-dump-log-');

async function cli(argv: readonly string[], progress: (string | undefined)[] = []): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    progress: (line) => progress.push(line),
    stdout: (t) => (out += t),
    log: (l) => (err += `${l}\n`),
    stderr: (t) => (err += t),
    readFile: () => '',
    untilSignal: () => new Promise<void>(() => {}),
  };
  const code = await dispatch(argv, io);
  return { code, out, err };
}

function digest(dir: string): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) h.update(name).update(readFileSync(join(dir, name)));
  return h.digest('hex');
}

describe('tributary dump-log', () => {
  it('prints the fixture\'s batches and records as kafka-dump-log does', async () => {
    const progress: (string | undefined)[] = [];
    const dumped = await cli(['dump-log', fixture, '--print-data'], progress);
    expect(progress).toEqual([`file 1 of 2: ${join(fixture, '00000000000000000000.log')}`, `file 2 of 2: ${join(fixture, '00000000000000000005.log')}`, undefined]);
    expect(dumped.err).toBe('');
    expect(dumped.code).toBe(0);
    expect(dumped.out.replaceAll(fixture, '<fixture>')).toBe(expected);
    // Without --print-data: the batch lines only.
    const batches = await cli(['dump-log', join(fixture, '00000000000000000000.log')]);
    expect(batches.code).toBe(0);
    expect(batches.out.split('\n').filter((l) => l.startsWith('baseOffset:'))).toHaveLength(2);
    expect(batches.out).not.toContain('| offset:');
    expect(batches.out).toContain('compresscodec: gzip crcValid: true');
  });

  it('reports a torn tail (exit 0) and a bad CRC (exit 1)', async () => {
    const torn = tempDir();
    cpSync(fixture, torn, { recursive: true });
    const last = join(torn, '00000000000000000005.log');
    truncateSync(last, statSync(last).size - 10);
    const tornDump = await cli(['dump-log', torn]);
    expect(tornDump.code).toBe(0);
    expect(tornDump.out).toContain('Found 64 invalid bytes at the end of 00000000000000000005.log (a torn tail)');
    expect(tornDump.out.split('\n').filter((l) => l.startsWith('baseOffset:'))).toHaveLength(3);

    const bad = tempDir();
    cpSync(fixture, bad, { recursive: true });
    const first = join(bad, '00000000000000000000.log');
    const bytes = readFileSync(first);
    bytes[80] = bytes[80]! ^ 0xff; // inside the first batch's records
    writeFileSync(first, bytes);
    const badDump = await cli(['dump-log', bad, '--print-data']);
    expect(badDump.code).toBe(1);
    expect(badDump.out).toMatch(/baseOffset: 0 lastOffset: 1 .* crcValid: false/);
    expect(badDump.out).toMatch(/baseOffset: 2 lastOffset: 4 .* crcValid: true/);
  });

  it('reads the folder of a log that is open, without its lock and without writing', async () => {
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 'live', partition: 0 });
    try {
      for (let i = 0; i < 3; i++) log.write(await encodeBatch([{ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }]));
      const before = digest(join(dataDir, 'live-0'));
      const dumped = await cli(['dump-log', dataDir, '--print-data']);
      expect(dumped.code).toBe(0);
      expect(dumped.out.split('\n').filter((l) => l.startsWith('| offset:')).map((l) => / key: (\S+) payload: (\S+)$/.exec(l)!.slice(1).join('='))).toEqual(['k0=v0', 'k1=v1', 'k2=v2']);
      expect(digest(join(dataDir, 'live-0'))).toBe(before);
      // The log still works: the dump took nothing from it.
      log.write(await encodeBatch([{ value: Buffer.from('after') }]));
    } finally {
      await log.close();
    }
  });

  it('every command explains itself with --help (exit 0) and a bare tributary is a usage error (exit 2)', async () => {
    for (const name of ['serve', 'topics', 'produce', 'consume', 'groups', 'dump-log']) {
      const help = await cli([name, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(new RegExp(`^Usage: tributary ${name}`));
    }
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('Commands:');
  });

  it('fails clearly on a path with no segments, and on a missing one', async () => {
    const empty = tempDir();
    const none = await cli(['dump-log', empty]);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no .log segment files');
    const missing = await cli(['dump-log', join(empty, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('cannot read');
    expect((await cli(['dump-log'])).code).toBe(2);
  });

  it('runs as the real tributary process: output, exit codes, --help', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += String(d)));
        child.stderr.on('data', (d) => (err += String(d)));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    const [dumped, help, usage, unknown] = await Promise.all([
      run(['dump-log', fixture, '--print-data']),
      run(['dump-log', '--help']),
      run(['dump-log', fixture, '--print-dat']),
      run(['dumplog']),
    ]);
    expect(dumped).toEqual({ code: 0, out: expected.replaceAll('<fixture>', fixture), err: '' });
    expect(help.code).toBe(0);
    expect(help.out).toContain('--print-data');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('did you mean --print-data?');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "dumplog"; did you mean dump-log?');
  }, 120_000);
});
