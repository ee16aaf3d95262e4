/**
 * Real Kafka clients as child processes for the wire tests: Debian's kcat and
 * confluent-kafka-python (both on librdkafka 2.0.2; `.ci/run` installs them), and
 * librdkafka's mock cluster as an independent broker. Every wait is generous and bounded:
 * the machine these tests run on is loaded, and a client that never finishes must fail the
 * test with its output, not hang it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The python that Debian's python3-confluent-kafka is installed for (a pyenv python3 may come first on the PATH). */
export const python = '/usr/bin/python3';
export const kcat = existsSync('/usr/bin/kcat') ? '/usr/bin/kcat' : 'kcat';
export const pyDir = fileURLToPath(new URL('../py/', import.meta.url));

/** Throws a clear error when a client the wire tests need is missing (CI installs both). */
export function requireClients(): void {
  const k = spawnSync(kcat, ['-V'], { encoding: 'utf8' });
  if (k.status !== 0) throw new Error('kcat is not installed: apt-get install -y kcat (see .ci/run)');
  const p = spawnSync(python, ['-c', 'import confluent_kafka'], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`confluent-kafka-python is not importable by ${python}: apt-get install -y python3-confluent-kafka (see .ci/run)\n${p.stderr}`);
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string | Buffer;
  /** Killed (SIGKILL) after this long; the result then has `signal`. Default 120 s. */
  readonly timeoutMs?: number;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Called with each stderr chunk as it comes (progress lines). */
  readonly onStderr?: (text: string) => void;
}

export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<RunResult>;
  /** Everything on stdout so far. */
  stdout(): string;
  stderr(): string;
}

/** Starts a process; `done` resolves (never rejects) when it exits or is killed at the timeout. */
export function start(command: string, args: readonly string[], options: RunOptions = {}): Running {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    options.onStderr?.(d.toString());
  });
  child.stdin!.on('error', () => {});
  if (options.input !== undefined) child.stdin!.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, signal: null, stdout, stderr: `${stderr}\n${String(err)}` });
    });
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return await start(command, args, options).done;
}

/** Runs kcat; throws with its output unless it exits 0. */
export async function runKcat(args: readonly string[], options: RunOptions = {}): Promise<string> {
  const r = await run(kcat, args, options);
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`);
  return r.stdout;
}

/** Runs `test/wire/py/<script>` with /usr/bin/python3 and returns the JSON object it prints last. */
export async function runPython<T = Record<string, unknown>>(script: string, args: readonly (string | number)[], options: RunOptions = {}): Promise<T> {
  const r = await run(python, [`${pyDir}${script}`, ...args.map(String)], { cwd: pyDir, ...options });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`);
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${script} printed no JSON result\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`);
  }
}

/** Common kcat options: generous timeouts for a loaded machine, quiet logs. */
export function kcatBase(bootstrapServers: string, extra: readonly string[] = []): string[] {
  return ['-b', bootstrapServers, '-X', 'socket.timeout.ms=60000', '-X', 'api.version.request.timeout.ms=30000', '-X', 'log_level=3', ...extra];
}

/** librdkafka's mock cluster (an independent Kafka implementation) on real TCP ports. */
export interface MockCluster {
  readonly bootstrapServers: string;
  close(): Promise<void>;
}

export async function startMockCluster(brokers = 1): Promise<MockCluster> {
  const p = start(python, [`${pyDir}mock_cluster.py`, String(brokers)], { cwd: pyDir, timeoutMs: 30 * 60_000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /bootstrap\.servers=(\S+)/.exec(p.stdout());
    if (m) return { bootstrapServers: m[1]!, close: async () => void (p.child.stdin!.end(), await p.done) };
    if (p.child.exitCode !== null || Date.now() > deadline) {
      p.child.kill('SIGKILL');
      const r = await p.done;
      throw new Error(`mock cluster did not start: ${r.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
