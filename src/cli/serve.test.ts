/**
 * `tributary serve` as a child process: it prints the bootstrap line, KafkaJS connects
 * to it, and SIGTERM stops it cleanly (exit code 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';

const main = join(fileURLToPath(new URL('.', import.meta.url)), 'main.ts');

function start(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tributary serve', () => {
  it('prints bootstrap.servers, serves KafkaJS, logs on stderr and stops on SIGTERM with exit code 0', async () => {
    const p = start(['serve', '--nodes', '3', '--port', '0']);
    try {
      await until(() => p.stdout().includes('\n'), 'the bootstrap line');
      const lines = p.stdout().trim().split('\n');
      expect(lines).toHaveLength(1);
      const m = /^bootstrap\.servers=((?:127\.0\.0\.1:\d+,){2}127\.0\.0\.1:\d+)$/.exec(lines[0]!);
      expect(m).not.toBeNull();
      const brokers = m![1]!.split(',');
      const admin = new Kafka({ clientId: 'serve-test', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...brokers].sort());
      await admin.createTopics({ topics: [{ topic: 'serve-orders', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
      await admin.disconnect();
      expect(p.stderr()).toMatch(/node 1 registered at 127\.0\.0\.1:\d+/);
      await until(() => p.stderr().includes('topic serve-orders created: 2 partitions, replication factor 3'), 'the topic in the log');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.stderr()).toContain('stopped');
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 120_000);

  it('explains its options with --help and refuses a bad one', async () => {
    const help = start(['serve', '--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('--data-dir');
    const bad = start(['serve', '--nodes', 'many']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--nodes must be an integer');
    // A port in use: a clear error and exit code 1, nothing left behind.
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    const busy = start(['serve', '--port', String(port)]);
    expect(await busy.exited).toBe(1);
    expect(busy.stderr()).toContain(`cannot listen on 127.0.0.1:${port}`);
    expect(busy.stdout()).toBe('');
    taken.close();
    const top = start(['--help']);
    expect(await top.exited).toBe(0);
    expect(top.stdout()).toContain('serve');
  }, 120_000);
});
