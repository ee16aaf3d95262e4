/**
 * `npm run fuzz`: bad input through every public entry point. Prints the counts of
 * crashes, hangs, untyped errors and silent acceptances, every finding, and the seed to
 * replay; exits 1 when there is any finding.
 *
 *   npm run fuzz                         500 API inputs and 2000 wire frames from a random seed
 *   npm run fuzz -- --runs 20000         a long run of the API fuzzer (alone)
 *   npm run fuzz -- --frames 1000000     a long run of the wire-frame fuzzer (alone)
 *   npm run fuzz -- --decoders 200000    a long run of the byte decoders of decoders.ts (alone)
 *   npm run fuzz -- --seed 1234          replay a run (with the same --runs)
 *   npm run fuzz -- --only Admin         one target's inputs of that run (see --list)
 *   npm run fuzz -- --seed 1234 --index 341   one input of that run
 *
 * Suites are pluggable: each entry of `suites` is a fuzzer and the flag that sizes it
 * (`--runs` for the API targets of targets.ts, `--frames` for the wire fuzzer of wire.ts,
 * `--decoders` for the decoders of bytes from other nodes, threads and the disk, decoders.ts).
 */
import { formatReport, runFuzz } from './harness.js';
import { decoderTargets } from './decoders.js';
import { apiTargets } from './targets.js';
import { fuzzWire } from './wire.js';

interface Suite {
  readonly name: string;
  /** The flag giving this suite's number of inputs. */
  readonly flag: string;
  readonly defaultRuns: number;
  /** Runs `runs` inputs from `seed`; says what it found. */
  run(seed: number, runs: number): Promise<{ readonly report: string; readonly findings: number }>;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const only = arg('only');
const index = arg('index') !== undefined ? Number(arg('index')) : undefined;

/** Every suite `npm run fuzz` runs, each sized by its own flag. Plug another list in here. */
export const suites: Suite[] = [
  {
    name: 'public API',
    flag: 'runs',
    defaultRuns: 500,
    async run(seed, runs) {
      let last = 0;
      const report = await runFuzz(apiTargets, {
        seed,
        runs,
        ...(only !== undefined ? { only } : {}),
        ...(index !== undefined ? { index } : {}),
        onProgress: (done, total) => {
          if (performance.now() - last > 5000) {
            last = performance.now();
            process.stderr.write(`public API: ${done}/${total}\n`);
          }
        },
      });
      return { report: formatReport(report, `--runs ${runs}${only !== undefined ? ` --only ${JSON.stringify(only)}` : ''}`), findings: report.findings.length };
    },
  },
  {
    name: 'decoders',
    flag: 'decoders',
    defaultRuns: 5000,
    async run(seed, runs) {
      const report = await runFuzz(decoderTargets, { seed, runs, ...(index !== undefined ? { index } : {}) });
      return { report: formatReport(report, `--decoders ${runs}`), findings: report.findings.length };
    },
  },
  {
    // The Kafka listener under hostile frames (test/fuzz/wire.ts; needs --expose-gc for its heap check).
    name: 'wire frames',
    flag: 'frames',
    defaultRuns: 2000,
    async run(seed, frames) {
      const connections = Number(arg('connections') ?? 1000);
      const r = await fuzzWire({ frames, seed, connections, progress: (l) => process.stderr.write(`wire: ${l}\n`) });
      const lines = [
        `fuzz: ${r.frames} frames (${r.bytesSent} bytes), seed ${r.seed}: ${r.answers} answers, ${r.closedByBroker} connections closed by the broker, ${r.honestOperations} honest operations served, heap ${r.heapBaselineMiB} -> ${r.heapAfterMiB} MiB`,
        `  failures ${r.failures.length}`,
        ...r.failures.slice(0, 50).map((f) => `  FAILURE ${f}`),
        `replay: npm run fuzz -- --seed ${seed} --frames ${frames}`,
      ];
      return { report: lines.join('\n'), findings: r.failures.length };
    },
  },
];

if (process.argv.includes('--list')) {
  for (const t of apiTargets) console.log(t.name);
  process.exit(0);
}
const seed = arg('seed') !== undefined ? Number(arg('seed')) : (Date.now() ^ (process.pid << 16)) >>> 0;
if (!Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--frames N] [--seed S] [--only TARGET] [--index I] [--list]');
  process.exit(2);
}
// Naming one suite's flag runs that suite alone (with --runs N only the API fuzzer, with --frames N only the wire one; both flags: both).
const named = suites.filter((s) => arg(s.flag) !== undefined);
let findings = 0;
for (const suite of named.length > 0 ? named : suites) {
  const runs = Number(arg(suite.flag) ?? suite.defaultRuns);
  if (!Number.isSafeInteger(runs) || runs < 0) {
    console.error(`--${suite.flag} must be a non-negative integer`);
    process.exit(2);
  }
  if (runs === 0 || (only !== undefined && suite.flag !== 'runs')) continue;
  const started = performance.now();
  const result = await suite.run(seed, runs);
  console.log(`[${suite.name}] ${result.report}`);
  console.log(`  ${Math.round((performance.now() - started) / 1000)} s`);
  findings += result.findings;
}
process.exit(findings > 0 ? 1 : 0);
