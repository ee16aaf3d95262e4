/** Starts child processes that serve the Kafka protocol, and reads their bootstrap line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');

export interface Served {
  readonly bootstrapServers: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

function start(command: string, args: readonly string[], timeoutMs: number): Promise<Served> {
  const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end();
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
  };
  return new Promise<Served>((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} did not print bootstrap.servers within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /bootstrap\.servers=(\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ bootstrapServers: m[1]!, child, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}; stderr: ${stderr}`));
    });
  });
}

/** librdkafka's mock cluster, 3 brokers (`mock-cluster.py`). */
export function startMockCluster(): Promise<Served> {
  return start('/usr/bin/python3', [join(here, 'mock-cluster.py')], 60_000);
}

/** `tributary serve --nodes 3 --port 0` as a child process. */
export function startServe(extra: readonly string[] = []): Promise<Served> {
  return start(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src', 'cli', 'main.ts'), 'serve', '--nodes', '3', '--port', '0', ...extra], 120_000);
}
