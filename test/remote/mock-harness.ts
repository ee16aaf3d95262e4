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
  /** Lines printed on stdout after the bootstrap line (`serve --control` answers). */
  readonly lines: string[];
  /** Sends a `serve --control` command and resolves with its JSON answer. */
  control(command: string, timeoutMs?: number): Promise<ControlAnswer>;
}

export interface ControlAnswer {
  readonly command: string;
  readonly ok: boolean;
  readonly nodes?: readonly { id: number; running: boolean; controller: boolean; fenced: boolean }[];
  readonly error?: { code: string; message: string };
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
    let bootstrapped = false;
    const lines: string[] = [];
    const waiters: ((line: string) => void)[] = [];
    // One command at a time: each answer is the next line.
    let chain: Promise<unknown> = Promise.resolve();
    const control = (command: string, timeoutMs = 120_000): Promise<ControlAnswer> => {
      const next = chain.then(
        () =>
          new Promise<ControlAnswer>((ok, fail) => {
            const t = setTimeout(() => fail(new Error(`no answer to ${JSON.stringify(command)} within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
            waiters.push((line) => {
              clearTimeout(t);
              ok(JSON.parse(line) as ControlAnswer);
            });
            child.stdin!.write(`${command}\n`);
          }),
      );
      chain = next.catch(() => undefined);
      return next;
    };
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} did not print bootstrap.servers within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (bootstrapped) {
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          lines.push(line);
          waiters.shift()?.(line);
        }
        return;
      }
      const m = /bootstrap\.servers=(\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        bootstrapped = true;
        out = out.slice(m.index + m[0].length);
        resolvePromise({ bootstrapServers: m[1]!, child, stop, lines, control });
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

/** `tributary serve --nodes 3 --port 0` as a child process (the real process: a SIGKILL kills the cluster). */
export function startServe(extra: readonly string[] = [], nodes = 3): Promise<Served> {
  // `node --import tsx`, not tsx's own bin: that one runs the program in a grandchild, which a
  // SIGKILL of the child would leave running (holding the data folder's lock).
  return start(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'serve', '--nodes', String(nodes), '--port', '0', ...extra], 120_000);
}
