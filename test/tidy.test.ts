/**
 * Checks the shape of the source tree, in the spirit of TigerBeetle's tidy.zig:
 * - every folder and top-level file of `src/` has a place in the layers, and imports point
 *   only down them (ARCHITECTURE.md, with the changes in docs/design/layers.md);
 * - a pure core (`src/<layer>/core/` and all of `src/metadata/`) imports only other cores,
 *   `src/util/`, `src/record/` and the request language in `src/protocol/` (pure data,
 *   types and codecs), no `node:` module, and never reads the clock, the
 *   global random source or timers.
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

  it('no file name outside kebab-case', () => {
    const bad = files.map((f) => relative(src, f)).filter((f) => !/^[a-z0-9/.-]+$/.test(f.split(sep).join('/')));
    expect(bad).toEqual([]);
  });
});
