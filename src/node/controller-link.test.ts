import { describe, expect, it } from 'vitest';
import type { Transport } from '../transport/transport.js';
import { SimulatedTimerClock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { ControllerLink } from './controller-link.js';

/** A node transport whose node 1 refuses with NOT_CONTROLLER until `active`, then answers heartbeats. */
function controllerAt1(): { transport: Transport; sends: () => number; activate: () => void } {
  let active = false;
  let sends = 0;
  const transport = {
    bootstrapNodes: () => [1],
    send: async () => {
      sends++;
      if (!active) throw new TributaryError('NOT_CONTROLLER', 'not active yet');
      return { apiKey: 63, body: { throttleTimeMs: 0, errorCode: 'NONE', isCaughtUp: true, isFenced: false, shouldShutDown: false } };
    },
    close: () => {},
  } as unknown as Transport;
  return { transport, sends: () => sends, activate: () => (active = true) };
}

/** Lets every pending promise callback run (no timer of the simulated clock fires meanwhile). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('ControllerLink', () => {
  it('retries a request waiting for an active controller as soon as the quorum changes, not after its backoff', async () => {
    const clock = new SimulatedTimerClock(0);
    const { transport, sends, activate } = controllerAt1();
    const listeners = new Set<() => void>();
    const link = new ControllerLink(transport, () => 1, clock, () => false, () => false, 30_000, 'broker-2', (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    });
    let answered = false;
    const done = link.submit({ type: 'BrokerHeartbeat', brokerId: 2, brokerEpoch: 7, currentMetadataOffset: 7 }).then((r) => {
      answered = true;
      return r;
    });
    // Refused, then waiting: back off 2, 4, 8, ... ms of the clock (moved by hand here).
    await settle();
    clock.advance(2);
    await settle();
    clock.advance(4);
    await settle();
    expect(sends()).toBe(3);
    expect(answered).toBe(false);
    expect(listeners.size).toBe(1);
    // The controller activates (its first entry committed): every node's quorum changes.
    activate();
    for (const l of [...listeners]) l();
    await settle();
    // Answered at once, the clock never moved past the 8 ms backoff.
    expect(answered).toBe(true);
    expect(clock.now()).toBe(6);
    expect((await done).errorCode).toBe('NONE');
    expect(sends()).toBe(4);
    // Nothing left behind: no listener and no timer.
    expect(listeners.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('still retries on its backoff when nothing changes (and without a quorum to watch)', async () => {
    const clock = new SimulatedTimerClock(0);
    const { transport, sends, activate } = controllerAt1();
    const link = new ControllerLink(transport, () => 1, clock, () => false, () => false, 30_000, 'broker-2');
    const done = link.submit({ type: 'BrokerHeartbeat', brokerId: 2, brokerEpoch: 7, currentMetadataOffset: 7 });
    await settle();
    expect(sends()).toBe(1);
    activate();
    clock.advance(1);
    await settle();
    expect(sends()).toBe(1);
    clock.advance(1);
    await settle();
    expect(sends()).toBe(2);
    expect((await done).errorCode).toBe('NONE');
  });

  it('gives up with REQUEST_TIMED_OUT after its timeout even while the quorum keeps changing', async () => {
    const clock = new SimulatedTimerClock(0);
    const { transport } = controllerAt1();
    const listeners = new Set<() => void>();
    const link = new ControllerLink(transport, () => 1, clock, () => false, () => false, 100, 'broker-2', (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    });
    const done = link.submit({ type: 'BrokerHeartbeat', brokerId: 2, brokerEpoch: 7, currentMetadataOffset: 7 });
    const outcome = done.then(
      () => 'answered',
      (e: unknown) => (e instanceof TributaryError ? e.code : 'other'),
    );
    for (let t = 0; t < 30; t++) {
      await settle();
      clock.advance(5);
      for (const l of [...listeners]) l();
    }
    await settle();
    expect(await outcome).toBe('REQUEST_TIMED_OUT');
    expect(listeners.size).toBe(0);
  });
});
