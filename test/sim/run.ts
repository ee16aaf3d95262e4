/**
 * Long simulation runs: `npm run sim -- --seeds 100000` (from seed 1, or `--from N`),
 * `npm run sim -- --seed N` to replay one seed, `--only raft|replication|group|group-shell|clients|nodes` to pick a simulation.
 */
import { runClientSimulation } from './client-sim.js';
import { runGroupSimulation } from './group-sim.js';
import { runShellSimulation } from './group-shell-sim.js';
import { runKraftSimulation } from './kraft-sim.js';
import { runNodeSimulation } from './node-sim.js';
import { runReplicationSimulation } from './replication-sim.js';

type Sim = (seed: number) => unknown;
/** The Raft core with the metadata quorum, broker replication, the group coordinator, the group coordinator's real shell, the real consumer group client, and three real nodes with the real clients (the last three asynchronous). */
const sims: Record<string, Sim> = { raft: runKraftSimulation, replication: runReplicationSimulation, group: runGroupSimulation, 'group-shell': runShellSimulation, clients: runClientSimulation, nodes: runNodeSimulation };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const only = arg('only');
const selected = Object.entries(sims).filter(([name]) => only === undefined || only === name);
if (selected.length === 0) {
  console.error(`unknown simulation "${only}"; known: ${Object.keys(sims).join(', ')}`);
  process.exit(2);
}
const one = arg('seed');
const from = one !== undefined ? Number(one) : Number(arg('from') ?? 1);
const count = one !== undefined ? 1 : Number(arg('seeds') ?? 1000);
if (!Number.isSafeInteger(from) || !Number.isSafeInteger(count) || count < 1) {
  console.error('usage: npm run sim -- [--only NAME] [--seeds N] [--from N] | [--seed N]');
  process.exit(2);
}
let failed = 0;
for (const [name, run] of selected) {
  const started = performance.now();
  const failedBefore = failed;
  for (let seed = from; seed < from + count; seed++) {
    try {
      const result = await run(seed);
      if (one !== undefined) console.log(name, JSON.stringify(result));
    } catch (err) {
      failed++;
      const message = (err as Error).message;
      // A simulation's own failures name their seed; anything else (a bug in the model) gets it here.
      console.error(message.includes(`seed ${seed}`) ? message : `${name} seed ${seed}: ${message}`);
      if (one !== undefined) console.error((err as Error).stack);
    }
  }
  console.log(`${name}: ${count} seeds from ${from}, ${failed - failedBefore} failed, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
process.exit(failed === 0 ? 0 : 1);
