/**
 * Checks the shape of the source tree, in the spirit of TigerBeetle's tidy.zig:
 * - imports point only down the layers (ARCHITECTURE.md);
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

/** Bottom to top. A file may import from its own layer and the layers before it. */
const layers = ['util', 'record', 'protocol', 'storage', 'raft', 'metadata', 'broker', 'transport', 'client', '(top)'];

function layerOf(file: string): number {
  const rel = relative(src, file).split(sep);
  if (rel.length === 1) return layers.indexOf('(top)');
  const i = layers.indexOf(rel[0]!);
  return i === -1 ? layers.indexOf('(top)') : i;
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

  it('imports point only down the layers', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        const to = layerOf(target);
        if (to > from) violations.push(`${relative(root, file)} imports ${spec} (${layers[from]} -> ${layers[to]})`);
      }
    }
    expect(violations).toEqual([]);
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
