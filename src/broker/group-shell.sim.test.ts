/**
 * The real `GroupShell` on a simulated clock, from a seed: see `test/sim/group-shell-sim.ts`
 * for the model and the invariants. `GROUP_SHELL_SIM_SEEDS` and `GROUP_SHELL_SIM_FIRST_SEED`
 * run other seeds (`npm run sim -- --only group-shell` too).
 */
import { describe, expect, it } from 'vitest';
import { runShellSimulation } from '../../test/sim/group-shell-sim.js';
import type { MetadataImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import { SimulatedTimerClock, startTimer } from '../util/clock.js';
import { GroupShell, offsetsTopic, type GroupShellBroker } from './group-shell.js';

const seeds = Number(process.env.GROUP_SHELL_SIM_SEEDS ?? 300);
const firstSeed = Number(process.env.GROUP_SHELL_SIM_FIRST_SEED ?? 1);

describe('GroupShell on a simulated clock', () => {
  it(`runs ${seeds} seeds: held heartbeats answered in time, acknowledged commits kept through reloads, sessions expire, the group converges`, async () => {
    const totals = { heartbeats: 0, held: 0, commits: 0, reloads: 0, notAvailable: 0, expired: 0 };
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      const r = await runShellSimulation(seed);
      totals.heartbeats += r.heartbeats;
      totals.held += r.heldHeartbeats;
      totals.commits += r.commitsAcked;
      totals.reloads += r.reloads;
      totals.notAvailable += r.notAvailable;
      totals.expired += r.expired;
    }
    console.log(`group shell simulation, seeds ${firstSeed}..${firstSeed + seeds - 1}: ${JSON.stringify(totals)}`);
    // The seeds reach what they are meant to test (no invariant can hold vacuously).
    expect(totals.held).toBeGreaterThan(0);
    expect(totals.commits).toBeGreaterThan(0);
    expect(totals.reloads).toBeGreaterThan(0);
    expect(totals.notAvailable).toBeGreaterThan(0);
    expect(totals.expired).toBeGreaterThan(0);
  }, 600_000);

  it('answers FindCoordinator COORDINATOR_NOT_AVAILABLE once 10 s of simulated time pass with no leader for __consumer_offsets', async () => {
    const clock = new SimulatedTimerClock(0);
    let created = 0;
    const leaderless = { id: 'offsets', name: offsetsTopic, partitions: [{ leader: -1, leaderEpoch: -1 }] };
    const image = { topic: (name: string) => (created > 0 && name === offsetsTopic ? leaderless : undefined), broker: () => undefined, forEachBroker: () => undefined } as unknown as MetadataImage;
    const broker: GroupShellBroker = {
      nodeId: 1,
      config: { host: '127.0.0.1' },
      metadataImage: image,
      submitToController: (async () => {
        created++;
        return { topics: [{ name: offsetsTopic, errorCode: 'NONE', errorMessage: null }] };
      }) as unknown as GroupShellBroker['submitToController'],
      replica: () => undefined,
      openReplica: () => Promise.resolve(undefined),
      notifyChange: () => undefined,
      waitForChange: (_t, _p, ms) => new Promise((resolve) => startTimer(clock, ms, resolve)),
    };
    const shell = new GroupShell(broker, { clock, seed: 1 });
    shell.start();
    let answer: P.FindCoordinatorResponse | undefined;
    void shell.handle({ apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: ['g'] }).then((r) => (answer = r as P.FindCoordinatorResponse));
    let timers = 0;
    while (answer === undefined) {
      // Only the clock's timers move the shell: 10 s of polls and ticks, no real waiting.
      expect(clock.runNext()).toBe(true);
      timers++;
      expect(timers).toBeLessThan(2000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(answer.coordinators[0]!.errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(created).toBe(1);
    expect(clock.monotonic()).toBeGreaterThanOrEqual(10_000);
    expect(clock.monotonic()).toBeLessThan(10_100);
    shell.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('replays a seed exactly', async () => {
    for (const seed of [3, 17]) {
      const a = await runShellSimulation(seed);
      const b = await runShellSimulation(seed);
      expect(b).toEqual(a);
    }
  }, 120_000);
});
