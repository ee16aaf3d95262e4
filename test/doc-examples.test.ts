/**
 * Every `@example` in the source's TSDoc must compile: the code blocks are extracted into
 * a temporary folder, `tributary-log` is mapped to `src/index.ts`, and `tsc` checks them with
 * the project's strict settings. An example that drifts from the API fails here.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

interface Example {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

function examplesIn(file: string): Example[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example/.test(lines[i]!)) continue;
    let j = i + 1;
    while (j < lines.length && !/^\s*\*\s*```/.test(lines[j]!)) j++;
    const start = j + 1;
    let k = start;
    while (k < lines.length && !/^\s*\*\s*```/.test(lines[k]!)) k++;
    const code = lines.slice(start, k).map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
    out.push({ file: relative(root, file), line: start + 1, code });
    i = k;
  }
  return out;
}

describe('TSDoc examples', () => {
  const examples = walk(join(root, 'src')).flatMap(examplesIn);

  it('exist', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it('typecheck against the public API', () => {
    const dir = join(root, '.tmp', 'doc-examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    examples.forEach((ex, n) => {
      const name = `example-${n}.ts`;
      names.push(name);
      // Each example is a module of its own, so top-level await and imports work.
      writeFileSync(join(dir, name), `// ${ex.file}:${ex.line}\n${ex.code}\nexport {};\n`);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, noUnusedLocals: false, paths: { 'tributary-log': ['../../src/index.ts'], 'tributary-log/testing': ['../../src/testing.ts'] } },
        include: names,
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    // Point each error back at the example's source line.
    const mapped = output.replace(/example-(\d+)\.ts\((\d+),(\d+)\)/g, (_, n: string, l: string) => {
      const ex = examples[Number(n)]!;
      return `${ex.file}:${ex.line + Number(l) - 2}`;
    });
    expect(mapped).toBe('');
  }, 120_000);
});
