/**
 * A short run of `npm run fuzz` in the test suite: every public entry point gets a few
 * inputs, and none may crash, hang, fail untyped or silently accept what it must refuse.
 * The seed is fixed, so the suite is deterministic (FUZZ_SEED picks another; a failure
 * prints the replay command). Finding new bugs is the long run's job:
 * `npm run fuzz -- --runs 20000` from a fresh seed each time.
 */
import { expect, it } from 'vitest';
import { formatReport, runFuzz } from './harness.js';
import { decoderTargets } from './decoders.js';
import { apiTargets } from './targets.js';

it('bad input through every public entry point ends in a typed error or a success', async () => {
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20261206;
  // Eight inputs a target: a few seconds idle. Bounds per call are generous (a loaded machine).
  const report = await runFuzz(apiTargets, { seed, runs: apiTargets.length * 8, boundMs: 30_000 });
  const c = report.counts;
  expect({ crashes: c.crash, hangs: c.hang, untyped: c.untyped, silent: c.silent }, formatReport(report)).toEqual({ crashes: 0, hangs: 0, untyped: 0, silent: 0 });
  expect(c.typed).toBeGreaterThan(0);
}, 120_000);

it('bytes from other nodes, threads and the disk: every decoder returns or throws a typed error', async () => {
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 1;
  // 300 mutated inputs a decoder: about a second. (Seed 1 found 19 snapshots whose records
  // contradicted each other, refused by an AssertionError, before restore() typed them.)
  const report = await runFuzz(decoderTargets, { seed, runs: decoderTargets.length * 300 });
  const c = report.counts;
  expect({ crashes: c.crash, hangs: c.hang, untyped: c.untyped }, formatReport(report)).toEqual({ crashes: 0, hangs: 0, untyped: 0 });
  expect(c.typed).toBeGreaterThan(0);
  expect(c.ok).toBeGreaterThan(0);
}, 120_000);
