/**
 * `npm run fuzz`: bad input through every public entry point. Prints the counts of
 * crashes, hangs, untyped errors and silent acceptances, every finding, and the seed to
 * replay; exits 1 when there is any finding.
 *
 *   npm run fuzz                         500 inputs from a random seed
 *   npm run fuzz -- --runs 20000         a long run
 *   npm run fuzz -- --seed 1234          replay a run (with the same --runs)
 *   npm run fuzz -- --only Admin         one target's inputs of that run (see --list)
 *   npm run fuzz -- --seed 1234 --index 341   one input of that run
 *
 * Target lists are pluggable: each entry of `suites` is a list of targets and the flag
 * that sizes it; a wire-frame fuzzer adds its list here (`--frames N`).
 */
import { formatReport, runFuzz, type FuzzTarget } from './harness.js';
import { apiTargets } from './targets.js';

interface Suite {
  readonly name: string;
  /** The flag giving this suite's number of inputs. */
  readonly flag: string;
  readonly defaultRuns: number;
  readonly targets: readonly FuzzTarget<any>[];
}

/** Every suite `npm run fuzz` runs. Plug another list in here. */
export const suites: Suite[] = [{ name: 'public API', flag: 'runs', defaultRuns: 500, targets: apiTargets }];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

if (process.argv.includes('--list')) {
  for (const s of suites) console.log(`${s.name} (--${s.flag}): ${s.targets.map((t) => t.name).join(', ')}`);
  process.exit(0);
}
const seed = arg('seed') !== undefined ? Number(arg('seed')) : (Date.now() ^ (process.pid << 16)) >>> 0;
const only = arg('only');
if (!Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S] [--only TARGET] [--list]');
  process.exit(2);
}
let findings = 0;
for (const suite of suites) {
  const runs = Number(arg(suite.flag) ?? suite.defaultRuns);
  if (!Number.isSafeInteger(runs) || runs < 0) {
    console.error(`--${suite.flag} must be a non-negative integer`);
    process.exit(2);
  }
  const targets = suite.targets;
  if (runs === 0 || (only !== undefined && !targets.some((t) => t.name === only))) continue;
  const index = arg('index') !== undefined ? Number(arg('index')) : undefined;
  const started = performance.now();
  let last = 0;
  const report = await runFuzz(targets, {
    seed,
    runs,
    ...(only !== undefined ? { only } : {}),
    ...(index !== undefined ? { index } : {}),
    onProgress: (done, total) => {
      if (performance.now() - last > 5000) {
        last = performance.now();
        process.stderr.write(`${suite.name}: ${done}/${total}\n`);
      }
    },
  });
  console.log(`[${suite.name}] ${formatReport(report, `--${suite.flag} ${runs}${only !== undefined ? ` --only ${JSON.stringify(only)}` : ''}`)}`);
  console.log(`  ${Math.round((performance.now() - started) / 1000)} s`);
  findings += report.findings.length;
}
process.exit(findings > 0 ? 1 : 0);
