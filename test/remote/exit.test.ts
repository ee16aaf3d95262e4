import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { root } from './mock-harness.js';

describe('connect() and the event loop', () => {
  it('a process exits by itself after close(): no socket or timer is left behind', async () => {
    await using served = await Cluster.start({ nodes: 1, listen: { port: 0 } });
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'remote', 'exit-child.ts'), served.bootstrapServers], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // Generous: the child must exit on its own; only a leak keeps it past this.
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    clearTimeout(killer);
    expect(signal, `killed: the event loop stayed alive after close(); stderr: ${err}`).toBeNull();
    expect(code, err).toBe(0);
    expect(out).toContain('closed');
  }, 120_000);
});
