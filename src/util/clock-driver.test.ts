import { describe, expect, it } from 'vitest';
import { driveClock, SimulatedTimerClock } from './clock-driver.js';
import { SimulatedClock } from './clock.js';
import { delay, withTimeout } from './timeout.js';

describe('driveClock', () => {
  it('moves the clock to each timer in turn while the test awaits: an hour of waits passes at once, in order', async () => {
    const clock = new SimulatedTimerClock(0);
    const driver = driveClock(clock);
    try {
      const seen: string[] = [];
      await Promise.all([delay(3_600_000, clock).then(() => seen.push(`hour@${clock.now()}`)), delay(1000, clock).then(() => seen.push(`second@${clock.now()}`))]);
      expect(seen).toEqual(['second@1000', 'hour@3600000']);
      // A timeout on the clock fires in the clock's time, however long the real wait.
      await expect(withTimeout(new Promise(() => undefined), 30_000, 'a request', clock)).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' });
      expect(clock.now()).toBe(3_600_000 + 30_000);
      expect(driver.fired).toBeGreaterThanOrEqual(3);
    } finally {
      await driver.stop();
    }
  });

  it('leaves a clock alone while something it woke is still working on real turns', async () => {
    const clock = new SimulatedTimerClock(0);
    const driver = driveClock(clock);
    try {
      let ticks = 0;
      // A chain of real turns (setImmediate) that starts a clock timer at its end: the
      // clock must not jump past the 50 ms timer before the chain has started it.
      const chain = async (): Promise<void> => {
        for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
        ticks = clock.now();
        await delay(50, clock);
      };
      await Promise.all([chain(), delay(10_000, clock)]);
      expect(ticks).toBe(0);
    } finally {
      await driver.stop();
    }
  });

  it('fires timers that are due together in order, each after the promise callbacks of the one before', async () => {
    const clock = new SimulatedTimerClock(0);
    const driver = driveClock(clock);
    try {
      const seen: string[] = [];
      const all = Array.from({ length: 200 }, (_, i) =>
        delay(0, clock).then(() => {
          seen.push(`${i}`);
          return Promise.resolve().then(() => seen.push(`${i} then`));
        }),
      );
      await Promise.all(all);
      expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => [`${i}`, `${i} then`]).flat());
      expect(clock.now()).toBe(0);
    } finally {
      await driver.stop();
    }
  });

  it('takes only a SimulatedTimerClock', () => {
    expect(() => driveClock(new SimulatedClock(0) as unknown as SimulatedTimerClock)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
