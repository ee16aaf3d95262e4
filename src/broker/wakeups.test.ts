import { describe, expect, it } from 'vitest';
import { SimulatedTimerClock } from '../util/clock.js';
import { Wakeups } from './wakeups.js';

/** Runs the promise callbacks and the 0 ms timers a wake-up schedules on a simulated clock. */
async function settle(clock: SimulatedTimerClock): Promise<void> {
  for (let i = 0; i < 5; i++) {
    clock.advance(0);
    await Promise.resolve();
  }
}

describe('Wakeups', () => {
  it('a wait told what it saw returns at once when the key was woken since, and waits when not', async () => {
    const clock = new SimulatedTimerClock(0);
    const w = new Wakeups(clock);
    const seen = w.version(['a', 'b']);
    w.wake('b'); // nobody waits yet: before, this wake-up was lost
    let done = false;
    void w.wait(['a', 'b'], 500, seen).then(() => (done = true));
    await settle(clock);
    expect(done).toBe(true);
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers()).toBe(0); // no timeout was even started

    const now = w.version(['a', 'b']);
    let woken = false;
    void w.wait(['a', 'b'], 500, now).then(() => (woken = true));
    await settle(clock);
    expect(woken).toBe(false); // nothing moved since it looked: it waits
    w.wakeMany(['c', 'a']);
    await settle(clock);
    expect(woken).toBe(true);
    expect(clock.now()).toBe(0);
  });

  it('counts wake-ups per key, on wake and wakeMany, with or without waiters; a forgotten key never takes a reading back', () => {
    const w = new Wakeups(new SimulatedTimerClock(0));
    expect(w.version(['x'])).toBe(0);
    w.wake('x');
    w.wakeMany(['x', 'y']);
    expect(w.version(['x'])).toBe(2);
    expect(w.version(['y'])).toBe(1);
    expect(w.version(['x', 'y', 'z'])).toBe(3);
    // A key dropped while another moved: no reading may come back to an earlier one.
    const before = w.version(['x', 'y']);
    w.forget('x');
    w.wake('y');
    w.wake('y');
    expect(w.version(['x', 'y'])).toBeGreaterThan(before);
  });

  it('without what it saw, a wait ends at its timeout when nothing wakes it', async () => {
    const clock = new SimulatedTimerClock(0);
    const w = new Wakeups(clock);
    w.wake('a');
    let done = false;
    void w.wait(['a'], 500).then(() => (done = true));
    await settle(clock);
    expect(done).toBe(false);
    clock.advance(500);
    await settle(clock);
    expect(done).toBe(true);
  });
  it('a wait whose signal aborts resolves at once and drops its waiter and timer', async () => {
    const clock = new SimulatedTimerClock(0);
    const w = new Wakeups(clock);
    const gone = new AbortController();
    let done = false;
    void w.wait(['a'], 10_000, undefined, gone.signal).then(() => (done = true));
    expect(clock.pendingTimers()).toBe(1);
    gone.abort();
    await settle(clock);
    expect(done).toBe(true);
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    // Its waiter went too: a wake-up of the key finds nobody to schedule.
    w.wake('a');
    expect(clock.pendingTimers()).toBe(0);
    // An already aborted signal: no timer at all.
    await w.wait(['a'], 10_000, undefined, gone.signal);
    expect(clock.pendingTimers()).toBe(0);
  });
});
