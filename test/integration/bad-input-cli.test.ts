/**
 * The `tributary` command line given damaged files (session 13's sweep): a clear finding
 * and exit code 1, never a Node error message from deep inside.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/command.js';
import { dispatch } from '../../src/cli/dispatch.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const fixture = fileURLToPath(new URL('../fixtures/dump-log/orders-0/', import.meta.url));
const tempDir = useTempDirs('tributary-bad-cli-');

async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    progress: () => {},
    stdout: (t) => (out += t),
    log: (l) => (err += `${l}\n`),
    stderr: (t) => (err += t),
    readFile: () => '',
    untilSignal: () => new Promise<void>(() => {}),
  };
  return { code: await dispatch(argv, io), out, err };
}

describe('tributary dump-log on damaged index files', () => {
  it('an offset index of garbage (negative and huge positions) is reported entry by entry as mismatches, exit 1', async () => {
    const dir = join(tempDir(), 'orders-0');
    cpSync(fixture, dir, { recursive: true });
    const index = join(dir, '00000000000000000000.index');
    const entries = Buffer.alloc(24);
    entries.writeInt32BE(0, 0);
    entries.writeInt32BE(-1701208360, 4); // 'efgh': a position below zero
    entries.writeInt32BE(1, 8);
    entries.writeInt32BE(0x7fffffff, 12); // far past the end of the log
    entries.writeInt32BE(2, 16);
    entries.writeInt32BE(0x7ffffffe, 20);
    writeFileSync(index, entries);
    const r = await cli(['dump-log', index]);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain('offset: 0 position: -1701208360\n');
    expect(r.out).toContain('Index offset: 0, log offset: none (position -1701208360 is outside the log) at position -1701208360');
    expect(r.out).toContain('Index offset: 1, log offset: none (past the end of the log) at position 2147483647');
    expect(r.out).toContain('entry 2 (offset 2, position 2147483646) does not increase');
  });
});
