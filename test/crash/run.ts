/**
 * Long crash runs: `npm run test:crash -- --kills 1000 [--flush always|os|interval] [--seed N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FlushPolicy } from '../../src/storage/log.js';
import { runCrashRounds } from './crash-harness.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    flush: { type: 'string', default: 'always' },
    seed: { type: 'string' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const dataDir = mkdtempSync(join(tmpdir(), 'tributary-crash-'));
console.log(`crash run: ${values.kills} kills, flush ${values.flush}, seed ${seed}, data ${dataDir}`);
const started = performance.now();
try {
  const result = await runCrashRounds({
    dataDir,
    flushPolicy: values.flush as FlushPolicy,
    kills: Number(values.kills),
    seed,
    log: (line) => process.stdout.write(`${line}\r`),
  });
  console.log(`\n${JSON.stringify(result)}`);
  console.log(`ok in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  rmSync(dataDir, { recursive: true, force: true });
} catch (err) {
  console.error(`\n${(err as Error).message}`);
  console.error(`data left for inspection in ${dataDir}`);
  process.exit(1);
}
