import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One measured case, as a child process reports it on its last stdout line. */
export interface CaseResult {
  readonly name: string;
  readonly [metric: string]: number | string;
}

/**
 * Runs `file` (a bench case script) in a fresh Node process with tsx, so that each case
 * gets its own heap, JIT state and peak RSS, and returns the JSON object it prints last.
 */
export async function runCase(file: string, args: string[] = [], nodeArgs: string[] = []): Promise<CaseResult> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${out}`));
      try {
        resolve(JSON.parse(last) as CaseResult);
      } catch {
        reject(new Error(`${file} printed no result: ${out}`));
      }
    });
  });
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A Markdown table from rows of cells. */
export function table(header: string[], rows: (string | number)[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function report(result: Record<string, number | string>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
