/**
 * The controller's central promise, checked over random request sequences: state changes
 * only by replaying records, so
 * - a standby controller that replays the committed log holds the active one's image;
 * - a fresh replay of the log, and a restore of a snapshot of the image, give that image;
 * - the speculative image the active controller validates against is exactly what
 *   replaying its uncommitted records will produce;
 * and this holds across partial commits and failovers that truncate uncommitted records.
 * Partition invariants are checked after every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { effectiveTopicConfig, isTrue } from './configs.js';
import { Controller } from './controller.js';
import { imageDifference, replayRecords, restore, snapshot, type MetadataImage } from './image.js';
import { ConfigResourceType, type MetadataRecord } from './records.js';
import type { ControllerRequest } from './requests.js';
import { uuidFromBytes } from './uuid.js';

const names = ['a', 'b', 'a.b', 'a_b', 'c'];
const brokerIds = [0, 1, 2, 3, 4];

type Command =
  | { kind: 'register'; broker: number; incarnation: number }
  | { kind: 'heartbeat'; broker: number; caughtUp: boolean; wantFence: boolean; wantShutDown: boolean }
  | { kind: 'time'; ms: number }
  | { kind: 'create'; name: number; partitions: number; rf: number; unclean: boolean }
  | { kind: 'delete'; name: number }
  | { kind: 'grow'; name: number; extra: number }
  | { kind: 'config'; name: number; unclean: boolean; clusterWide: boolean }
  | { kind: 'isr'; name: number; partition: number; pick: number; expand: boolean }
  | { kind: 'elect'; unclean: boolean }
  | { kind: 'producerIds'; broker: number }
  | { kind: 'unregister'; broker: number }
  | { kind: 'commit'; count: number }
  | { kind: 'failover' };

const broker = fc.constantFrom(...brokerIds);
const name = fc.nat(names.length - 1);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('register' as const), broker, incarnation: fc.nat(2) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), broker, caughtUp: fc.boolean(), wantFence: fc.nat(9).map((n) => n < 2), wantShutDown: fc.constant(false) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 6000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), name, partitions: fc.integer({ min: 1, max: 4 }), rf: fc.integer({ min: 1, max: 3 }), unclean: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), name }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grow' as const), name, extra: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('config' as const), name, unclean: fc.boolean(), clusterWide: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('isr' as const), name, partition: fc.nat(5), pick: fc.nat(5), expand: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('elect' as const), unclean: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('producerIds' as const), broker }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unregister' as const), broker }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('commit' as const), count: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'failover' as const }) },
);

interface Logged {
  readonly record: MetadataRecord;
  readonly offset: number;
  /** The last record of one request's records: the quorum commits a request's records together or not at all. */
  readonly groupEnd: boolean;
}

class World {
  now = 0;
  logEnd = 0;
  readonly committed: Logged[] = [];
  uncommitted: Logged[] = [];
  readonly controllers: Controller[];
  active: Controller;

  constructor(seed: number) {
    this.controllers = [0, 1].map((i) => new Controller({ rng: new Rng(seed * 2 + i), config: { metadataMaxIdleIntervalMs: 1000 } }));
    this.active = this.controllers[0]!;
    this.active.activate(0, 0);
  }

  append(records: readonly MetadataRecord[]): void {
    records.forEach((record, i) => this.uncommitted.push({ record, offset: this.logEnd++, groupEnd: i === records.length - 1 }));
    expect(this.active.nextOffset).toBe(this.logEnd);
  }

  handle(request: ControllerRequest): void {
    this.append(this.active.handle(request, this.now).records);
  }

  /**
   * Commits at least `count` records, and whole requests only (the quorum appends one
   * request's records as one entry: they commit together or not at all; committing part
   * of a request and failing over would leave, say, a partition made leaderless by a
   * fence whose FenceBroker record was lost).
   */
  commit(count: number): void {
    let n = Math.min(count, this.uncommitted.length);
    while (n > 0 && n < this.uncommitted.length && !this.uncommitted[n - 1]!.groupEnd) n++;
    for (const r of this.uncommitted.splice(0, n)) {
      for (const c of this.controllers) c.replay(r.record, r.offset);
      this.committed.push(r);
    }
  }

  failover(): void {
    this.active.deactivate();
    // The new leader's log ends at the committed prefix; it writes its LeaderChange control record at the next offset.
    this.uncommitted = [];
    this.logEnd = (this.committed.at(-1)?.offset ?? -1) + 2;
    this.active = this.controllers.find((c) => c !== this.active)!;
    this.active.activate(this.logEnd, this.now);
  }

  get spec(): MetadataImage {
    return this.active.speculativeImage;
  }

  run(cmd: Command): void {
    const image = this.spec;
    switch (cmd.kind) {
      case 'register':
        this.handle({ type: 'BrokerRegistration', brokerId: cmd.broker, incarnationId: uuidFromBytes(Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? cmd.broker + 1 : i === 1 ? cmd.incarnation + 1 : 7))) });
        return;
      case 'heartbeat': {
        const b = image.broker(cmd.broker);
        const epoch = b?.epoch ?? 0;
        this.handle({
          type: 'BrokerHeartbeat',
          brokerId: cmd.broker,
          brokerEpoch: epoch,
          currentMetadataOffset: cmd.caughtUp ? Math.max(epoch, this.active.lastCommittedOffset) : epoch - 1,
          wantFence: cmd.wantFence,
          wantShutDown: cmd.wantShutDown,
        });
        return;
      }
      case 'time':
        this.now += cmd.ms;
        this.append(this.active.tick(this.now).records);
        return;
      case 'create':
        this.handle({
          type: 'CreateTopics',
          topics: [
            {
              name: names[cmd.name]!,
              numPartitions: cmd.partitions,
              replicationFactor: cmd.rf,
              configs: cmd.unclean ? [{ name: 'unclean.leader.election.enable', value: 'true' }] : [],
            },
          ],
        });
        return;
      case 'delete':
        this.handle({ type: 'DeleteTopics', topics: [{ name: names[cmd.name]! }] });
        return;
      case 'grow': {
        const t = image.topic(names[cmd.name]!);
        this.handle({ type: 'CreatePartitions', topics: [{ name: names[cmd.name]!, count: (t?.partitions.length ?? 0) + cmd.extra }] });
        return;
      }
      case 'config':
        this.handle({
          type: 'IncrementalAlterConfigs',
          resources: [
            cmd.clusterWide
              ? { resourceType: ConfigResourceType.Broker, resourceName: '', configs: [{ name: 'unclean.leader.election.enable', configOperation: 'SET', value: String(cmd.unclean) }] }
              : { resourceType: ConfigResourceType.Topic, resourceName: names[cmd.name]!, configs: [{ name: 'unclean.leader.election.enable', configOperation: cmd.unclean ? 'SET' : 'DELETE', value: 'true' }] },
          ],
        });
        return;
      case 'isr': {
        // The partition's leader proposes an ISR one member smaller or larger, as a real
        // leader would after a follower fell behind or caught up.
        const t = image.topic(names[cmd.name]!);
        const p = t?.partitions[cmd.partition % Math.max(1, t.partitions.length)];
        if (t === undefined || p === undefined || p.leader === -1) return;
        let newIsr: number[];
        if (cmd.expand) {
          const outside = p.replicas.filter((r) => !p.isr.includes(r));
          if (outside.length === 0) return;
          newIsr = [...p.isr, outside[cmd.pick % outside.length]!];
        } else {
          const followers = p.isr.filter((r) => r !== p.leader);
          if (followers.length === 0) return;
          const drop = followers[cmd.pick % followers.length]!;
          newIsr = p.isr.filter((r) => r !== drop);
        }
        this.handle({
          type: 'AlterPartition',
          brokerId: p.leader,
          brokerEpoch: image.broker(p.leader)?.epoch ?? -1,
          topics: [{ topicId: t.id, partitions: [{ partitionIndex: t.partitions.indexOf(p), leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr }] }],
        });
        return;
      }
      case 'elect':
        this.handle({ type: 'ElectLeaders', electionType: cmd.unclean ? 'UNCLEAN' : 'PREFERRED', topicPartitions: null });
        return;
      case 'producerIds':
        this.handle({ type: 'AllocateProducerIds', brokerId: cmd.broker, brokerEpoch: image.broker(cmd.broker)?.epoch ?? -1 });
        return;
      case 'unregister':
        this.handle({ type: 'UnregisterBroker', brokerId: cmd.broker });
        return;
      case 'commit':
        this.commit(cmd.count);
        return;
      case 'failover':
        this.failover();
        return;
    }
  }
}

/** Invariants every image must satisfy, whatever happened. */
function checkInvariants(image: MetadataImage): void {
  const usable = (id: number): boolean => {
    const b = image.broker(id);
    return b !== undefined && !b.fenced;
  };
  image.forEachTopic((t) => {
    t.partitions.forEach((p, i) => {
      const where = `${t.name}-${i} ${JSON.stringify(p)}`;
      expect(p.isr.length, where).toBeGreaterThan(0);
      expect(new Set(p.isr).size, where).toBe(p.isr.length);
      for (const r of p.isr) expect(p.replicas, where).toContain(r);
      if (p.leader !== -1) {
        // A leader is always in the ISR and serving.
        expect(p.isr, where).toContain(p.leader);
        expect(usable(p.leader), where).toBe(true);
      } else {
        // Leaderless only when nobody may lead: no usable ISR member, and (with unclean
        // election on) no usable replica at all.
        expect(p.isr.some(usable), where).toBe(false);
        if (isTrue(effectiveTopicConfig(image, t.name, 'unclean.leader.election.enable').value)) expect(p.replicas.some(usable), where).toBe(false);
      }
      // A broker that cannot serve stays in an ISR only as its last member, holding the committed records.
      if (p.isr.some((r) => !usable(r))) {
        expect(p.isr.length, where).toBe(1);
        expect(p.leader, where).toBe(-1);
      }
    });
  });
}

describe('controller replay', () => {
  it('standby, fresh replay, snapshot restore and speculation all agree, over random request sequences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(command, { minLength: 10, maxLength: 60 }), (seed, commands) => {
        const w = new World(seed);
        for (const c of brokerIds.slice(0, 3)) {
          w.run({ kind: 'register', broker: c, incarnation: 0 });
          w.run({ kind: 'commit', count: 100 });
          w.run({ kind: 'heartbeat', broker: c, caughtUp: true, wantFence: false, wantShutDown: false });
        }
        for (const cmd of commands) {
          w.run(cmd);
          checkInvariants(w.spec);
          // The speculative image is what replaying the whole log, uncommitted part included, will make.
          expect(imageDifference(w.spec, replayRecords([...w.committed, ...w.uncommitted]))).toBeUndefined();
        }
        w.commit(w.uncommitted.length);
        const image = w.active.image;
        expect(w.active.speculativeImage).toBe(image);
        checkInvariants(image);
        for (const c of w.controllers) expect(imageDifference(c.image, image)).toBeUndefined();
        expect(imageDifference(replayRecords(w.committed), image)).toBeUndefined();
        expect(imageDifference(restore(snapshot(image, 256), image.offset), image)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});

describe('controller replay, found by the property above', () => {
  // The property once committed part of a request's records and failed over: the
  // PartitionChange that made a-1 leaderless committed without the FenceBroker that
  // justified it. The quorum commits a request's records as one entry; so does World now.
  it('a broker fenced at its own request, then a failover: its leaderless partitions stay consistent', () => {
    const w = new World(1);
    for (const c of brokerIds.slice(0, 3)) {
      w.run({ kind: 'register', broker: c, incarnation: 0 });
      w.run({ kind: 'commit', count: 100 });
      w.run({ kind: 'heartbeat', broker: c, caughtUp: true, wantFence: false, wantShutDown: false });
    }
    const script: Command[] = [
      { kind: 'create', name: 0, partitions: 2, rf: 1, unclean: false },
      { kind: 'heartbeat', broker: 2, caughtUp: false, wantFence: true, wantShutDown: false },
      { kind: 'commit', count: 4 },
      { kind: 'commit', count: 1 },
      { kind: 'create', name: 0, partitions: 1, rf: 1, unclean: false },
      { kind: 'unregister', broker: 0 },
      { kind: 'heartbeat', broker: 0, caughtUp: false, wantFence: true, wantShutDown: false },
      { kind: 'config', name: 0, unclean: false, clusterWide: false },
      { kind: 'unregister', broker: 0 },
      { kind: 'heartbeat', broker: 0, caughtUp: false, wantFence: true, wantShutDown: false },
      { kind: 'failover' },
      { kind: 'config', name: 0, unclean: false, clusterWide: false },
      { kind: 'register', broker: 0, incarnation: 0 },
      { kind: 'register', broker: 0, incarnation: 0 },
    ];
    for (const cmd of script) {
      w.run(cmd);
      checkInvariants(w.spec);
    }
  });
});
