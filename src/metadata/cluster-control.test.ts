import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { Controller } from './controller.js';
import { imageDifference, replayRecords } from './image.js';
import type { MetadataRecord } from './records.js';
import type { ControllerRequest, ControllerResponse } from './requests.js';
import { randomUuid, type Uuid } from './uuid.js';

const sessionTimeoutMs = 2000;

/**
 * Brokers as processes and one controller over a log that commits at once. The
 * controller can fail over (a new one replays the committed log and activates), which
 * is also what a whole cluster restarted from its files looks like to it.
 */
class World {
  now = 0;
  readonly log: { record: MetadataRecord; offset: number }[] = [];
  controller = this.newController();
  readonly ids: Rng;
  /** The live process of each broker id: its incarnation and epoch (-1: not registered yet). */
  readonly processes = new Map<number, { incarnation: Uuid; epoch: number }>();

  constructor(seed: number) {
    this.ids = new Rng(seed);
    this.controller.activate(0, 0);
  }

  private newController(): Controller {
    return new Controller({ rng: new Rng(1), config: { brokerSessionTimeoutMs: sessionTimeoutMs, metadataMaxIdleIntervalMs: 0 }, image: replayRecords(this.log) });
  }

  handle<R extends ControllerRequest>(request: R): ControllerResponse<R> {
    const { records, response } = this.controller.handle(request, this.now);
    for (const record of records) {
      const offset = this.log.length;
      this.log.push({ record, offset });
      this.controller.replay(record, offset);
    }
    return response;
  }

  /** The controller's periodic check; `stalledMs`: how long its thread was blocked just before. */
  tick(stalledMs = 0): readonly number[] {
    const { records, response } = this.controller.tick(this.now, stalledMs);
    for (const record of records) {
      const offset = this.log.length;
      this.log.push({ record, offset });
      this.controller.replay(record, offset);
    }
    return response.fencedBrokers;
  }

  /** A new controller takes over from the committed log (failover, or the whole cluster restarted). */
  failover(): void {
    this.controller.deactivate();
    this.controller = this.newController();
    this.controller.activate(this.log.length, this.now);
  }

  /** A new process for `id` registers; returns the error code. */
  start(id: number): string {
    const incarnation = randomUuid(this.ids);
    const r = this.handle({ type: 'BrokerRegistration', brokerId: id, incarnationId: incarnation });
    if (r.errorCode === 'NONE') this.processes.set(id, { incarnation, epoch: r.brokerEpoch });
    return r.errorCode;
  }

  beat(id: number, extra: { wantShutDown?: boolean } = {}): ControllerResponse<{ type: 'BrokerHeartbeat'; brokerId: number; brokerEpoch: number; currentMetadataOffset: number }> {
    const p = this.processes.get(id)!;
    return this.handle({ type: 'BrokerHeartbeat', brokerId: id, brokerEpoch: p.epoch, currentMetadataOffset: this.log.length - 1, ...extra });
  }

  /** A clean shutdown: the broker asks to shut down and is let go. */
  stop(id: number): void {
    const r = this.beat(id, { wantShutDown: true });
    expect(r).toMatchObject({ errorCode: 'NONE', isFenced: true, shouldShutDown: true });
    this.processes.delete(id);
  }
}

describe('cluster control: restarts do not wait for a session timeout', () => {
  it('a broker that shut down cleanly is replaced by its next incarnation at once, on the same or a new controller', () => {
    for (const failover of [false, true]) {
      const w = new World(7);
      for (const id of [1, 2, 3]) {
        expect(w.start(id)).toBe('NONE');
        expect(w.beat(id).isFenced).toBe(false);
      }
      w.handle({ type: 'CreateTopics', topics: [{ name: 't', numPartitions: 3, replicationFactor: 3 }] });
      w.now += 100;
      w.stop(2);
      expect(w.controller.image.broker(2)!.fenced).toBe(true);
      for (const p of w.controller.image.topic('t')!.partitions) expect(p.isr).not.toContain(2);
      if (failover) w.failover();
      // No time passes: the new incarnation registers and is unfenced at once.
      expect(w.start(2)).toBe('NONE');
      expect(w.beat(2).isFenced).toBe(false);
      expect(w.controller.image.broker(2)).toMatchObject({ incarnationId: w.processes.get(2)!.incarnation, fenced: false });
    }
  });

  it('a whole cluster restarted after a crash (sessions only presumed) registers its new incarnations at once', () => {
    const w = new World(8);
    for (const id of [1, 2, 3]) {
      w.start(id);
      w.beat(id);
    }
    w.handle({ type: 'CreateTopics', topics: [{ name: 't', numPartitions: 3, replicationFactor: 3 }] });
    // Every process dies at once, unfenced; the restarted quorum elects a controller.
    w.processes.clear();
    w.now += 50;
    w.failover();
    for (const id of [1, 2, 3]) expect(w.start(id)).toBe('NONE');
    for (const id of [1, 2, 3]) expect(w.beat(id).isFenced).toBe(false);
    for (const p of w.controller.image.topic('t')!.partitions) {
      expect(p.leader).toBeGreaterThan(0);
      expect(p.isr.length).toBeGreaterThan(0);
    }
  });

  it('a presumed session still keeps a silent broker unfenced for one timeout after a failover', () => {
    const w = new World(9);
    w.start(1);
    w.beat(1);
    w.now = 10_000;
    w.failover();
    w.now = 10_000 + sessionTimeoutMs - 1;
    expect(w.tick()).toEqual([]);
    w.now = 10_000 + sessionTimeoutMs;
    expect(w.tick()).toEqual([1]);
  });

  it('a live incarnation the controller hears from is not displaced by another until its session expires', () => {
    const w = new World(10);
    w.start(1);
    w.beat(1);
    w.failover();
    w.now += 100;
    w.beat(1); // heard by the new controller
    const live = w.processes.get(1)!;
    expect(w.start(1)).toBe('DUPLICATE_BROKER_REGISTRATION');
    w.now += sessionTimeoutMs;
    expect(w.start(1)).toBe('NONE');
    expect(w.processes.get(1)).not.toEqual(live);
  });

  it('seeded: over random starts, clean stops, crashes, failovers and silences, restarts wait only for a live, heard-from session', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Rng(seed);
      const w = new World(seed * 31);
      /** When the current controller last heard each broker's current registration. */
      let heard = new Map<number, number>();
      const trace: string[] = [];
      try {
        for (let step = 0; step < 80; step++) {
          const id = 1 + rng.int(3);
          const roll = rng.int(100);
          w.now += rng.int(400);
          if (roll < 40) {
            if (w.processes.has(id)) {
              trace.push(`beat ${id}`);
              const r = w.beat(id);
              if (r.errorCode === 'NONE') heard.set(id, w.now);
              else w.processes.delete(id); // displaced (fenced then replaced): the process gives up
            } else {
              const b = w.controller.image.broker(id);
              const last = heard.get(id);
              // The only thing that may hold a restart back: an unfenced registration that
              // this controller heard from within the session timeout.
              const mayRefuse = b !== undefined && !b.fenced && last !== undefined && w.now < last + sessionTimeoutMs;
              trace.push(`start ${id}${mayRefuse ? ' (may be refused)' : ''}`);
              const code = w.start(id);
              expect(code).toBe(mayRefuse ? 'DUPLICATE_BROKER_REGISTRATION' : 'NONE');
              if (code === 'NONE') heard.set(id, w.now);
            }
          } else if (roll < 55) {
            if (w.processes.has(id)) {
              trace.push(`stop ${id}`);
              w.stop(id);
            }
          } else if (roll < 65) {
            trace.push(`crash ${id}`);
            w.processes.delete(id);
          } else if (roll < 72) {
            trace.push('failover');
            w.failover();
            heard = new Map();
          } else if (roll < 80) {
            trace.push('tick');
            w.tick();
          } else {
            trace.push('silence');
            w.now += rng.int(2 * sessionTimeoutMs);
          }
          expect(imageDifference(replayRecords(w.log), w.controller.image)).toBeUndefined();
        }
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}\n${trace.join('\n')}`);
      }
    }
  });
});

describe("cluster control: the controller's own stall is not charged to the brokers", () => {
  it('a stall longer than the session timeout fences nobody who heartbeats right after it', () => {
    const w = new World(11);
    for (const id of [1, 2]) {
      w.start(id);
      w.beat(id);
    }
    w.now = 100;
    w.beat(1);
    w.beat(2);
    // The thread is blocked from 150 ms to 10 s: the first tick after it comes before the queued heartbeats.
    w.now = 10_000;
    expect(w.tick(10_000 - 150)).toEqual([]);
    w.beat(1);
    w.beat(2);
    expect(w.tick()).toEqual([]);
    expect(w.controller.image.broker(1)!.fenced).toBe(false);
    expect(w.controller.image.broker(2)!.fenced).toBe(false);
    // Without the credit the same tick fences both: the stall is what kept them alive.
    const v = new World(11);
    v.start(1);
    v.beat(1);
    v.now = 10_000;
    expect(v.tick()).toEqual([1]);
  });

  it('a broker that really stops heartbeating is still fenced, one session timeout after the stall ends at the latest', () => {
    const w = new World(12);
    w.start(1);
    w.start(2);
    w.beat(1);
    w.beat(2);
    w.now = 10_000;
    expect(w.tick(10_000)).toEqual([]); // the whole gap was a stall: no session aged
    w.beat(1); // broker 2 is gone
    let fencedAt = -1;
    for (let t = 10_050; t <= 20_000 && fencedAt < 0; t += 50) {
      w.now = t;
      if (t % 200 === 0) w.beat(1);
      if (w.tick().includes(2)) fencedAt = t;
    }
    expect(fencedAt).toBe(10_000 + sessionTimeoutMs);
    expect(w.controller.image.broker(1)!.fenced).toBe(false);
    expect(w.controller.image.broker(2)!.fenced).toBe(true);
  });

  it('a stall credit never carries a session past now: a broker heard during the stall turn ages from then', () => {
    const w = new World(13);
    w.start(1);
    w.now = 5_000;
    w.beat(1); // heard at 5 s, in the same turn as the stalled tick
    expect(w.tick(5_000)).toEqual([]);
    w.now = 5_000 + sessionTimeoutMs - 1;
    expect(w.tick()).toEqual([]);
    w.now = 5_000 + sessionTimeoutMs;
    expect(w.tick()).toEqual([1]);
  });
});
