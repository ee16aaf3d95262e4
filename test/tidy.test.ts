/**
 * Checks the shape of the source tree, in the spirit of TigerBeetle's tidy.zig:
 * - every folder and top-level file of `src/` has a place in the layers, and imports point
 *   only down them (ARCHITECTURE.md, with the changes in docs/design/layers.md);
 * - a pure core (`src/<layer>/core/` and all of `src/metadata/`) imports only other cores,
 *   `src/util/`, `src/record/` and the request language in `src/protocol/` (pure data,
 *   types and codecs), no `node:` module, and never reads the clock, the
 *   global random source or timers;
 * - tests wait on a simulated clock, not on wall time: only the files in `wallClockWaits`
 *   (each with its reason) sleep or poll against a wall-clock deadline.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/**
 * Bottom to top: every folder of `src/` and every file at its top is one unit here, and a
 * file may import only from its own unit and the units before it (docs/design/layers.md
 * gives the reasons for this order). A new folder or top-level file fails the test until
 * it is placed in this list.
 */
const layers = [
  'util',
  'record',
  'protocol',
  'storage',
  'raft',
  'metadata',
  'controller', // the metadata quorum's shells: RaftNode + the pure Controller
  'broker',
  'transport', // inline.ts and transport.ts (client side), tcp/ (the Kafka listener, which hands requests to a Broker)
  'client',
  'client-factories.ts', // the client factories shared by Cluster and connect()
  'connect-handle.ts', // connectHandle(): the clients in a worker, over a cluster's MessagePort
  'connect.ts', // connect(): the clients over TCP to a remote cluster, or over a cluster handle (connectHandle)
  'observe', // cluster.metrics(): reads the broker's and the clients' counters
  'node', // what one node asks another, as messages: the controller link, Raft over a transport, the node endpoint
  'cluster-node.ts',
  'cluster-listeners.ts',
  'cluster-options.ts',
  'cluster', // threads: 'per-node': the node worker's entry and the supervisor's side of it
  'cluster.ts',
  'cluster-worker.ts', // threads: 'worker': the entry of the worker that runs a whole cluster
  'cli',
  'testing.ts',
  'index.ts',
];

/** The unit of a source file: its folder under `src/`, or its own name at the top (an import's `.js` names the `.ts`). */
function unitOf(file: string): string {
  return relative(src, file).split(sep)[0]!.replace(/\.js$/, '.ts');
}

function layerOf(file: string): number {
  return layers.indexOf(unitOf(file));
}

function isPure(file: string): boolean {
  const rel = relative(src, file).split(sep);
  return rel.includes('core') || rel[0] === 'metadata';
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const importRe = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(importRe)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

const files = walk(src);

/**
 * The test files (and test helpers, children and runners) that may still wait on wall
 * time, each with the reason. Every other test waits in a simulated clock's time
 * (`Cluster.start({ clock })` with `driveClock`, `waitFor(cond, { clock })`,
 * `delay(ms, clock)`; test/helpers/sim-clock.ts), counts turns, or awaits an event: a
 * loaded machine cannot run its deadline out. What counts as a wall-clock wait is
 * `wallClockWaitsIn` below: a promise around `setTimeout` (a sleep), `setTimeout` from
 * `timers/promises`, `delay(ms)` without a clock, a `Date.now()` or `performance.now()`
 * deadline, and `waitFor(...)` without a `clock`. Where a file here waits, its bounds are
 * generous (tens of seconds at least) and it waits for an event where it can.
 */
const wallClockWaits: Record<string, string> = {
  'examples/integration.test.ts': 'the user-facing example of useCluster and waitFor on the real clock; its condition holds at once',
  'src/cli/commands.test.ts': 'the CLI as a child process, read through its stdout (60 s bound)',
  'src/cli/events.test.ts': 'the CLI as a child process, read through its stdout (60 s bound)',
  'src/cli/serve.test.ts': '`tributary serve` as a child process, reached over TCP (60 s bound)',
  'src/node/node-messages.test.ts': 'a vote across a real MessagePort between threads (30 s bound)',
  'src/transport/tcp/connection.test.ts': 'real sockets; the fixed sleeps show that nothing more arrives (load only lengthens them)',
  'src/transport/tcp/listener.test.ts': 'real sockets and KafkaJS against the listener (20 s bounds)',
  'src/transport/tcp/reauth.test.ts': 'SASL session lifetimes on real sockets: the listener and the TCP client time them on the real clock',
  'src/transport/tcp/security.test.ts': 'real sockets (20 s bound)',
  'test/crash/crash-harness.ts': 'a child process killed with SIGKILL after a random real delay',
  'test/fixtures/disk-format/generate.ts': 'a script (not a test) that writes the disk-format fixture with real child processes',
  'test/fuzz/harness.ts': 'the fuzzer lets a target settle for real between inputs',
  'test/fuzz/run.ts': 'the fuzzer runner reports progress every 5 s of real time',
  'test/fuzz/targets.ts': 'fuzz targets bound a stuck call by real time, and hand bad options to waitFor itself',
  'test/fuzz/wire.ts': 'the wire fuzzer against a real TCP listener; waits for the heap to settle after GC',
  'test/integration/cluster.test.ts': "the long-poll test's detector is the test's own wall-clock timeout (on simulated time a held-back fetch would pass); the failover test's producer never idles, which starves a simulated clock (it counts acknowledgements, 120 s bounds)",
  'test/integration/group-crash-child.ts': 'a child process that waits for its members before it is killed',
  'test/integration/group-crash.test.ts': "the 90 s wall bound is the detector: on simulated time the dead members' 10-minute sessions would run out and the check could not fail",
  'test/integration/restart-opens.test.ts': 'waits for 400 replicas to open from disk (real file I/O), counted, with a 60 s bound',
  'test/package.test.ts': "the built package's waitFor on the real clock, rejecting at once",
  'test/remote/cli-tls.test.ts': 'TLS and SASL re-authentication against `tributary serve` over real sockets',
  'test/remote/listener-hostile.test.ts': "real sockets: the listener's idle close is a real socket timer (300 ms, waited for with a 30 s bound), and answers are polled for (60 s bounds)",
  'test/wire/capture.ts': 'a script (not a test) that captures real clients\' frames through a TCP proxy',
  'test/wire/capture-admin.ts': 'a script (not a test) that captures real clients\' admin frames through a TCP proxy',
  'test/wire/helpers/clients.ts': 'real Kafka clients (KafkaJS, kcat, confluent-kafka-python) as child processes and over TCP (60 s bounds and up)',
  'test/wire/helpers/cluster.ts': 'reads a topic back over TCP for the real-client tests (bounded)',
  'test/wire/helpers/raw-client.ts': 'a raw TCP client: waits for frames on a real socket (30 s bound)',
  'test/wire/leader-kill.test.ts': 'feeds kcat (a child process) its records in paced slices around a leader kill',
  'test/workers/workers.test.ts': 'real worker threads (120 s bounds and up)',
};

/** Lines of `text` (1-based) that wait on wall time: sleeps, wall-clock deadlines, and `waitFor` without a clock. */
function wallClockWaitsIn(text: string): number[] {
  const patterns = [
    /new Promise\b[^\n]*\bsetTimeout\(/, // new Promise((r) => setTimeout(r, ms))
    /\bsetTimeout\(\s*(r|res|resolve|done|wake)\s*,/, // the same, spread over lines
    /import\s*\{[^}]*\bsetTimeout\b[^}]*\}\s*from\s*['"](node:)?timers\/promises['"]/,
    /\bdelay\(\s*[^,()]+\)/, // delay(ms): util/timeout's delay on the real clock
    /\b(Date|performance)\.now\(\)\s*(\+|<|>)/, // a deadline made or compared
    /(<|>)=?\s*(Date|performance)\.now\(\)/,
    /\b(Date|performance)\.now\(\)\s*-\s*[\w.]+\s*(<|>)/, // elapsed time compared
  ];
  const out = new Set<number>();
  text.split('\n').forEach((line, i) => {
    if (/^\s*(\*|\/\/)/.test(line)) return;
    if (patterns.some((re) => re.test(line))) out.add(i + 1);
  });
  for (const m of text.matchAll(/\bwaitFor\(/g)) {
    let depth = 0;
    let end = m.index;
    for (; end < text.length; end++) {
      if (text[end] === '(') depth++;
      else if (text[end] === ')' && --depth === 0) break;
    }
    if (!/\bclock\b/.test(text.slice(m.index, end))) out.add(text.slice(0, m.index).split('\n').length);
  }
  return [...out].sort((a, b) => a - b);
}

/** Every test file of the suite, and every test helper, child and runner under `test/`. */
function testFiles(): string[] {
  const all = (dir: string): string[] => readdirSync(dir).flatMap((name) => (name === 'node_modules' ? [] : statSync(join(dir, name)).isDirectory() ? all(join(dir, name)) : [join(dir, name)]));
  return [
    ...all(src).filter((f) => f.endsWith('.test.ts')),
    ...all(join(root, 'examples')).filter((f) => f.endsWith('.test.ts')),
    ...all(join(root, 'test')).filter((f) => /\.(ts|mts|mjs)$/.test(f) && f !== fileURLToPath(import.meta.url)),
  ];
}

describe('tidy', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('every folder and top-level file of src/ has a place in the layers', () => {
    const units = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory() || (name.endsWith('.ts') && !name.endsWith('.test.ts')));
    expect(units.filter((u) => !layers.includes(u))).toEqual([]);
    expect(layers.filter((u) => !units.includes(u))).toEqual([]);
  });

  it('imports point only down the layers', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(src + sep)) {
          violations.push(`${relative(root, file)} imports ${spec}, outside src/`);
          continue;
        }
        const to = layerOf(target);
        if (to === -1 || from === -1) violations.push(`${relative(root, file)} imports ${spec}, which has no place in the layers`);
        else if (to > from) violations.push(`${relative(root, file)} imports ${spec} (${layers[from]} -> ${layers[to]})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('scans the pure cores of the clients: the producer\'s sender core is in src/client/core/', () => {
    const clientCores = files.filter(isPure).map((f) => relative(src, f).split(sep).join('/')).filter((f) => f.startsWith('client/core/'));
    expect(clientCores).toEqual(expect.arrayContaining(['client/core/sender.ts', 'client/core/transaction-manager.ts', 'client/core/metadata.ts', 'client/core/backoff.ts', 'client/core/sender-batch.ts', 'client/core/producer-counts.ts']));
  });

  it('pure cores import only cores, util and record, and no node: modules', () => {
    const violations: string[] = [];
    for (const file of files.filter(isPure)) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('node:') || !spec.startsWith('.')) {
          violations.push(`${relative(root, file)} imports ${spec}`);
          continue;
        }
        const target = resolve(dirname(file), spec);
        const rel = relative(src, target).split(sep);
        const ok = rel.includes('core') || rel[0] === 'util' || rel[0] === 'record' || rel[0] === 'protocol' || (rel[0] === 'metadata' && relative(src, file).startsWith('metadata'));
        if (!ok) violations.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('pure cores never read the clock, the global random source or timers', () => {
    const banned = /\bDate\.now\(|\bMath\.random\(|\bsetTimeout\(|\bsetInterval\(|\bsetImmediate\(|\bperformance\.now\(|\bprocess\.hrtime/;
    const violations: string[] = [];
    for (const file of files.filter(isPure)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (banned.test(code) && !/^\s*\*/.test(line)) violations.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(violations).toEqual([]);
  });

  it('tests wait on a simulated clock, not on wall time, except in the files listed with their reason', () => {
    const waiting = new Map<string, number[]>();
    for (const file of testFiles()) {
      const lines = wallClockWaitsIn(readFileSync(file, 'utf8'));
      if (lines.length > 0) waiting.set(relative(root, file).split(sep).join('/'), lines);
    }
    const unlisted = [...waiting].filter(([f]) => !(f in wallClockWaits)).map(([f, lines]) => `${f}:${lines.join(',')} waits on wall time: wait on a simulated clock (test/helpers/sim-clock.ts) or on an event, or list the file in wallClockWaits with the reason`);
    expect(unlisted).toEqual([]);
    // A file that no longer waits on wall time leaves the list.
    expect(Object.keys(wallClockWaits).filter((f) => !waiting.has(f))).toEqual([]);
    console.log(`wall-clock waits: ${waiting.size} files, ${[...waiting.values()].reduce((n, l) => n + l.length, 0)} sites`);
  });

  it('the wall-clock wait detector finds sleeps, deadlines and clockless waitFor, and passes waits on a clock', () => {
    const waits = [
      'await new Promise((r) => setTimeout(r, 50));',
      'await new Promise<void>((resolve) => {\n  setTimeout(resolve, 200);\n});',
      "import { setTimeout as sleep } from 'node:timers/promises';",
      'await delay(10);',
      'const deadline = Date.now() + 5000;',
      'while (performance.now() < end) {}',
      'if (Date.now() - started > 1000) break;',
      'await waitFor(() => done, {\n  timeoutMs: 1000,\n});',
    ];
    for (const w of waits) expect(wallClockWaitsIn(w), w).not.toEqual([]);
    const fine = [
      'await delay(10, clock);',
      'await sim.sleep(10);',
      'await waitFor(() => done, {\n  clock,\n  timeoutMs: 1000,\n});',
      'setTimeout(() => void fill(cluster, 0), 30);',
      'const t0 = Date.now();',
      "import { setImmediate as turn } from 'node:timers/promises';",
      '// await new Promise((r) => setTimeout(r, 50));',
      'const leader = await q.waitForLeader();',
    ];
    for (const f of fine) expect(wallClockWaitsIn(f), f).toEqual([]);
  });

  it('no file name outside kebab-case', () => {
    const bad = files.map((f) => relative(src, f)).filter((f) => !/^[a-z0-9/.-]+$/.test(f.split(sep).join('/')));
    expect(bad).toEqual([]);
  });
});
