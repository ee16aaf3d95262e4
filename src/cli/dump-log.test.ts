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
    const files = ['00000000000000000000.log', '00000000000000000000.index', '00000000000000000000.timeindex', '00000000000000000005.log', '00000000000000000005.index', '00000000000000000005.timeindex'];
    expect(progress).toEqual([...files.map((name, i) => `file ${i + 1} of 6: ${join(fixture, name)}`), undefined]);
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

  it('prints the .index and .timeindex entries, and reports an index that does not match its log (exit 1)', async () => {
    const dumped = await cli(['dump-log', fixture]);
    expect(dumped.code).toBe(0);
    // The second batch (offset 2) starts at byte 89 of the first segment; 1796558400012 is its largest timestamp.
    expect(dumped.out).toContain(`Dumping ${join(fixture, '00000000000000000000.index')}\noffset: 2 position: 89\n`);
    expect(dumped.out).toContain(`Dumping ${join(fixture, '00000000000000000000.timeindex')}\ntimestamp: 1796558400012 offset: 4\n`);
    expect(dumped.out).toContain(`Dumping ${join(fixture, '00000000000000000005.index')}\noffset: 6 position: 70\n`);
    expect(dumped.out).not.toContain('Mismatches');
    // One index file on its own.
    const one = await cli(['dump-log', join(fixture, '00000000000000000005.timeindex')]);
    expect([one.code, one.out.split('\n')[1]]).toEqual([0, 'timestamp: 1796558400030 offset: 6']);

    const bad = tempDir();
    cpSync(fixture, bad, { recursive: true });
    // Position 90: inside the batch that starts at 89; and a half entry at the end of the time index.
    writeFileSync(join(bad, '00000000000000000000.index'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 90]));
    writeFileSync(join(bad, '00000000000000000005.timeindex'), Buffer.concat([readFileSync(join(fixture, '00000000000000000005.timeindex')), Buffer.from([1, 2, 3])]));
    const badDump = await cli(['dump-log', bad]);
    expect(badDump.code).toBe(1);
    expect(badDump.out).toContain(`Mismatches in ${join(bad, '00000000000000000000.index')}:\n  Index offset: 2, log offset:`);
    expect(badDump.out).toContain(`Mismatches in ${join(bad, '00000000000000000005.timeindex')}:\n  3 bytes at the end are not a whole entry (12 bytes each)`);
    // The batches themselves are still sound and printed.
    expect(badDump.out.split('\n').filter((l) => l.startsWith('baseOffset:'))).toHaveLength(4);
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

  it('prints every record on one line: newlines, control characters, backslashes and bytes that are not UTF-8 escaped', async () => {
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 'odd', partition: 0 });
    try {
      log.write(await encodeBatch([
        { key: Buffer.from('two\nlines'), value: Buffer.from('tab\there, back\\slash, bell\x07, é') },
        { key: Buffer.from([0xff, 0x41, 0x5c, 0x0a]), value: Buffer.from('plain text stays as it is') },
      ]));
    } finally {
      await log.close();
    }
    const dumped = await cli(['dump-log', dataDir, '--print-data']);
    expect(dumped.code).toBe(0);
    const records = dumped.out.split('\n').filter((l) => l.startsWith('| offset:'));
    expect(records.map((l) => / key: (.*) payload: (.*)$/.exec(l)!.slice(1))).toEqual([
      ['two\\nlines', 'tab\\there, back\\\\slash, bell\\x07, é'],
      ['\\xffA\\\\\\x0a', 'plain text stays as it is'],
    ]);
  });

  it('--print-data escapes the characters other line splitters break on: C1 controls (U+0085 NEL) and U+2028, U+2029 as \\uXXXX', async () => {
    // Python's str.splitlines, JavaScript's line terminators in source and some log
    // shippers split at U+0085, U+2028 and U+2029: printed as they are, one record would
    // read as two lines.
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 'lines', partition: 0 });
    try {
      log.write(await encodeBatch([{ key: Buffer.from('nel\u0085key'), value: Buffer.from('a\u2028b\u2029c\u0080d\u009fe\u00a0f, é stays') }]));
    } finally {
      await log.close();
    }
    const dumped = await cli(['dump-log', dataDir, '--print-data']);
    expect(dumped.code).toBe(0);
    const records = dumped.out.split('\n').filter((l) => l.startsWith('| offset:'));
    expect(records).toHaveLength(1);
    expect(/ key: (.*) payload: (.*)$/.exec(records[0]!)!.slice(1)).toEqual(['nel\\u0085key', 'a\\u2028b\\u2029c\\u0080d\\u009fe\u00a0f, é stays']);
    // Every line of the output splits as it does at '\n' alone.
    expect(dumped.out.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/)).toEqual(dumped.out.split('\n'));
  });

  it('--print-data keeps a leading byte order mark: text that starts with U+FEFF prints it, as every other character', async () => {
    const dataDir = tempDir();
    const log = await PartitionLog.open({ dataDir, topic: 'bom', partition: 0 });
    try {
      log.write(await encodeBatch([{ key: Buffer.from('\ufeffkey'), value: Buffer.from([0xef, 0xbb, 0xbf, 0x41]) }]));
    } finally {
      await log.close();
    }
    const dumped = await cli(['dump-log', dataDir, '--print-data']);
    expect(dumped.code).toBe(0);
    const record = dumped.out.split('\n').find((l) => l.startsWith('| offset:'))!;
    expect(/ key: (.*) payload: (.*)$/.exec(record)!.slice(1)).toEqual(['\ufeffkey', '\ufeffA']);
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

  it('shows progress only when stderr is a terminal', async () => {
    // `script` (util-linux) runs the command on a pseudo-terminal; the run above, with stderr a
    // pipe, printed nothing on stderr at all.
    const command = [process.execPath, '--import', 'tsx', join(here, 'main.ts'), 'dump-log', fixture].map((a) => `'${a}'`).join(' ');
    const onTty = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(onTty.code).toBe(0);
    expect(onTty.out).toContain(`\r\x1b[Kfile 1 of 6: ${join(fixture, '00000000000000000000.log')}`);
    expect(onTty.out).toContain('\r\x1b[K'); // cleared at the end
    expect(onTty.out.replaceAll('\r\n', '\n')).toContain('baseOffset: 6 lastOffset: 6');
  }, 120_000);
});
