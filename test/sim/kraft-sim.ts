/**
 * A seeded simulation of the pure Raft core: one seed chooses the cluster (1, 3 or 5
 * voters and up to 2 observers), the fault rates, and every event. The network loses,
 * duplicates, delays and reorders messages and is partitioned at times; nodes crash and
 * restart, losing whatever they had not persisted (a crash may fall between persisting
 * and sending). Invariants are checked after every step; then faults stop and a leader
 * must be elected and a new proposal committed everywhere within a bound. A failure
 * throws with the seed, and the same seed replays it exactly.
 *
 * Two state machines. In `hash` mode each node applies entries to a hash chain, checked
 * against the chain of the one committed log. In `metadata` mode (every tenth seed) each
 * node runs the metadata composition, a `QuorumController`: the proposals are real
 * controller requests (broker registrations and heartbeats, topic creation and deletion,
 * partition counts, configs) submitted to whichever node leads, and the checks are that
 * every node's image equals the replay of the committed log up to what it applied, and
 * that every request is answered exactly once: with its response only if its records
 * committed, otherwise NOT_CONTROLLER.
 */
import { RaftCore, type Entry, type HardState, type Message, type Ready, type Snapshot } from '../../src/raft/core/kraft.js';
import { imageDifference, MetadataImage, replayRecords } from '../../src/metadata/image.js';
import { QuorumController, type Outcome, type RaftView } from '../../src/metadata/quorum-controller.js';
import { ConfigResourceType, decodeMetadataRecords, type MetadataRecord } from '../../src/metadata/records.js';
import type { ControllerRequest } from '../../src/metadata/requests.js';
import { randomUuid } from '../../src/metadata/uuid.js';
import { Rng } from '../../src/util/rng.js';

/** Which state machine a seed runs; `metadataSeedEvery`-th seeds run the metadata composition. */
export type KraftSimMode = 'hash' | 'metadata';
const metadataSeedEvery = 10;

export function kraftSimMode(seed: number): KraftSimMode {
  return seed % metadataSeedEvery === 0 ? 'metadata' : 'hash';
}

/** Simulated milliseconds per step, the controller's clock (RaftNode's default tick). */
const stepMs = 50;
/** Steps between checks of every image against the replay of the committed log. */
const imageCheckEverySteps = 25;
/** Steps after liveness in which every request still waiting must be answered. */
const answerStepsMax = 400;

interface Durable {
  hardState?: HardState;
  snapshot?: Snapshot;
  entries: Entry[];
}

interface SimNode {
  id: number;
  voter: boolean;
  core: RaftCore | undefined;
  durable: Durable;
  /** The state machine: entries applied and a hash chain over them. */
  applied: number;
  hash: number;
  highWatermark: number;
  /** Metadata mode: the node's state machine, a new one per incarnation. */
  qc: QuorumController | undefined;
  incarnation: number;
  /** Tickets the current `qc` handed out (they are numbered 1, 2, ... per instance). */
  tickets: number;
}

/** A request (or a controller tick's write) waiting for its answer. */
interface Waiting {
  readonly what: string;
  /** The entry holding its records. */
  readonly offset: number;
  readonly epoch: number;
  readonly data: Uint8Array;
}

export interface SimResult {
  readonly seed: number;
  readonly voters: number;
  readonly observers: number;
  readonly steps: number;
  readonly committed: number;
  readonly leaderElections: number;
  readonly crashes: number;
  readonly mode: KraftSimMode;
  /** Metadata mode: requests submitted, and how many were answered with their response. */
  readonly requests: number;
  readonly answeredOk: number;
}

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

function entryHash(prev: number, e: Entry): number {
  let h = mix(prev, e.offset);
  h = mix(h, e.epoch);
  if (e.data === null) return mix(h, 0xffffffff);
  for (const b of e.data) h = mix(h, b);
  return h;
}

export interface SimOptions {
  readonly safetySteps?: number;
  readonly livenessSteps?: number;
  /** Default: `kraftSimMode(seed)`. */
  readonly mode?: KraftSimMode;
}

export function runKraftSimulation(seed: number, options: SimOptions = {}): SimResult {
  try {
    return simulate(seed, options);
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('raft simulation failed')) throw err;
    throw new Error(`raft simulation failed (seed ${seed}): ${message}\nreplay: npm run sim -- --seed ${seed}`, { cause: err });
  }
}

function simulate(seed: number, options: SimOptions): SimResult {
  const mode = options.mode ?? kraftSimMode(seed);
  const metadata = mode === 'metadata';
  const rng = new Rng(seed);
  const voterCount = rng.pick([1, 3, 3, 5]);
  const observerCount = rng.int(3);
  let loss = rng.pick([0, 0.05, 0.2]);
  let duplicate = rng.pick([0, 0.05]);
  const delayMax = rng.pick([1, 3, 8]);
  const crashRate = rng.pick([0, 0.002, 0.01]);
  const partitionRate = rng.pick([0, 0.005, 0.02]);
  const proposeRate = rng.pick([0.05, 0.2]);
  const snapshotRate = rng.pick([0, 0.01]);
  // Small fetches let a follower hold old entries without the new leader's first one,
  // the only way Raft's "figure 8" can arise when fetches carry whole runs.
  const fetchEntriesMax = rng.pick([1, 2, 8]);
  const fetchParkTicks = rng.pick([0, 2]);
  // Metadata seeds cost about three hash seeds a step: a shorter safety phase keeps the
  // test run short (every tenth seed is one).
  const safetySteps = options.safetySteps ?? (metadata ? 250 : 400);
  const livenessSteps = options.livenessSteps ?? 600;
  const voters = Array.from({ length: voterCount }, (_, i) => i + 1);
  const all = [...voters, ...Array.from({ length: observerCount }, (_, i) => 100 + i)];
  const fail = (why: string): never => {
    throw new Error(`raft simulation failed (seed ${seed}; ${mode} mode; ${voterCount} voters, ${observerCount} observers): ${why}\nreplay: npm run sim -- --seed ${seed}`);
  };
  // Drawn only in metadata mode, so hash-mode seeds replay as they always did.
  const mrng = metadata ? rng.fork() : undefined;
  const controllerConfig = { brokerSessionTimeoutMs: 3000 };
  const config = (id: number) => ({ id, voters, rng: rng.fork(), electionTicks: 10, checkQuorumTicks: 15, fetchEntriesMax, fetchParkTicks });

  const nodes = new Map<number, SimNode>();
  for (const id of all) {
    nodes.set(id, { id, voter: voters.includes(id), core: new RaftCore(config(id)), durable: { entries: [] }, applied: 0, hash: 0, highWatermark: 0, qc: metadata ? new QuorumController(mrng!.fork(), controllerConfig) : undefined, incarnation: 0, tickets: 0 });
  }
  let network: { at: number; m: Message }[] = [];
  let time = 0;
  let side = new Map<number, number>(); // node -> partition side; empty = healed
  const leaderOfEpoch = new Map<number, number>();
  const committed: Entry[] = []; // the one committed log every node must agree with
  const chain: number[] = []; // chain[o] = hash after applying offset o
  let elections = 0;
  let crashes = 0;
  let proposals = 0;
  // Metadata mode: requests waiting for an answer, by node, incarnation and ticket.
  const waiting = new Map<string, Waiting>();
  let requests = 0;
  let answeredOk = 0;
  /** imageAfter[o]: the image the committed entries before offset o replay to; recordsBefore[o]: how many records they hold. */
  const imageAfter: MetadataImage[] = [MetadataImage.empty];
  const recordsBefore: number[] = [0];
  /** What the simulated clients know: broker epochs from registrations answered. */
  const brokerEpochs = new Map<number, number>();

  const connected = (a: number, b: number): boolean => (side.get(a) ?? 0) === (side.get(b) ?? 0);

  function persist(node: SimNode, r: Ready): void {
    const d = node.durable;
    if (r.hardState) d.hardState = r.hardState;
    if (r.snapshot) {
      d.snapshot = r.snapshot;
      d.entries = [];
    }
    if (r.truncateTo !== undefined) d.entries = d.entries.filter((e) => e.offset < r.truncateTo!);
    for (const e of r.entries) {
      const start = d.snapshot?.endOffset ?? 0;
      if (e.offset < start) continue;
      const last = d.entries[d.entries.length - 1];
      if ((last ? last.offset + 1 : start) !== e.offset) fail(`node ${node.id} persisted entry ${e.offset} out of order`);
      d.entries.push(e);
    }
  }

  function apply(node: SimNode, r: Ready): void {
    if (r.truncateTo !== undefined && node.qc) node.qc.truncated(r.truncateTo);
    if (r.snapshot && node.qc) {
      node.qc.restoreSnapshot(r.snapshot);
      node.applied = r.snapshot.endOffset;
    } else if (r.snapshot) {
      const view = Buffer.from(r.snapshot.data);
      node.applied = view.readUInt32BE(0);
      node.hash = view.readUInt32BE(4);
      if (node.applied !== r.snapshot.endOffset) fail(`snapshot at ${r.snapshot.endOffset} holds state at ${node.applied}`);
      if (node.applied > 0 && chain[node.applied - 1] !== undefined && chain[node.applied - 1] !== node.hash) fail(`node ${node.id} installed a snapshot that disagrees with the committed log at ${node.applied}`);
    }
    for (const e of r.committed) {
      if (e.offset !== node.applied) fail(`node ${node.id} applied offset ${e.offset}, expected ${node.applied}`);
      const known = committed[e.offset];
      if (known === undefined) {
        if (e.offset !== committed.length) fail(`committed offset ${e.offset} skips ahead of ${committed.length}`);
        committed.push(e);
        chain.push(entryHash(e.offset === 0 ? 0 : chain[e.offset - 1]!, e));
        // A committed entry is durable on a majority of voters.
        let holders = 0;
        for (const v of voters) {
          const d = nodes.get(v)!.durable;
          if ((d.snapshot?.endOffset ?? 0) > e.offset || d.entries.some((x) => x.offset === e.offset && x.epoch === e.epoch)) holders++;
        }
        if (holders * 2 <= voters.length) fail(`offset ${e.offset} (epoch ${e.epoch}) committed by node ${node.id} while durable on only ${holders} of ${voters.length} voters: ${voters.map((v) => { const n = nodes.get(v)!; const d = n.durable; return `${v}${n.core ? '' : '(down)'} snap ${d.snapshot?.endOffset ?? 0} entries ${d.entries.length ? `${d.entries[0]!.offset}..${d.entries[d.entries.length - 1]!.offset} epochs ${[...new Set(d.entries.map((x) => x.epoch))].join('/')}` : '-'}`; }).join('; ')}`);
      } else if (known.epoch !== e.epoch || Buffer.compare(Buffer.from(known.data ?? []), Buffer.from(e.data ?? [])) !== 0 || (known.data === null) !== (e.data === null)) {
        fail(`node ${node.id} committed a different entry at offset ${e.offset} (epoch ${e.epoch} vs ${known.epoch})`);
      }
      node.hash = entryHash(node.hash, e);
      node.applied = e.offset + 1;
      if (!node.qc && chain[e.offset] !== node.hash) fail(`node ${node.id}'s state after offset ${e.offset} differs from the replay of the committed log`);
    }
    if (node.qc) {
      node.qc.applyCommitted(r.committed);
      if (node.qc.appliedEndOffset !== node.applied) fail(`node ${node.id}'s controller applied up to ${node.qc.appliedEndOffset}, its log up to ${node.applied}`);
      takeAnswers(node);
    }
  }

  // ------------------------------------------------------------------ metadata mode

  const viewOf = (core: RaftCore): RaftView => ({
    get leaderReady() {
      return core.leaderReady;
    },
    propose: (d) => core.propose(d),
  });

  function ticketKey(node: SimNode, ticket: number): string {
    return `${node.id}/${node.incarnation}/${ticket}`;
  }

  /** Records the entry a request's (or a tick's) records were just proposed in, under the next ticket. */
  function track(node: SimNode, what: string): void {
    const core = node.core!;
    const offset = core.logEndOffset - 1;
    const e = core.entriesBetween(offset, offset + 1)[0];
    if (e === undefined || e.data === null) return fail(`node ${node.id} proposed ${what} but its log does not end with it`);
    node.tickets++;
    waiting.set(ticketKey(node, node.tickets), { what, offset, epoch: e.epoch, data: e.data });
  }

  function answered(node: SimNode, ticket: number, outcome: Outcome<unknown>): void {
    const key = ticketKey(node, ticket);
    const w = waiting.get(key);
    if (w === undefined) return fail(`node ${node.id} answered ticket ${ticket} (incarnation ${node.incarnation}), which is not waiting: unknown or answered twice`);
    waiting.delete(key);
    if (!outcome.ok) {
      if (outcome.error !== 'NOT_CONTROLLER') fail(`${w.what} on node ${node.id} failed with ${String(outcome.error)}`);
      return;
    }
    const c = committed[w.offset];
    if (c === undefined || c.epoch !== w.epoch || c.data === null || Buffer.compare(Buffer.from(c.data), Buffer.from(w.data)) !== 0) {
      fail(`${w.what} on node ${node.id} was answered with its response, but its entry (offset ${w.offset}, epoch ${w.epoch}) did not commit${c ? ` (epoch ${c.epoch} did)` : ''}`);
    }
    if (w.what.startsWith('request')) answeredOk++;
    const response = outcome.response as { errorCode?: string; brokerEpoch?: number };
    if (w.what.startsWith('request BrokerRegistration') && response.errorCode === 'NONE' && response.brokerEpoch !== undefined) {
      brokerEpochs.set(Number(w.what.split(' ').pop()), response.brokerEpoch);
    }
  }

  function takeAnswers(node: SimNode): void {
    for (const a of node.qc!.takeAnswered()) answered(node, a.ticket, a.outcome);
  }

  /** Follows leadership: deactivates a controller that no longer leads, activates one that leads with everything applied. */
  function sync(node: SimNode): void {
    if (!node.qc || !node.core) return;
    node.qc.sync(viewOf(node.core), node.core.logEndOffset, time * stepMs);
  }

  const topicNames = ['t0', 't1', 't2', 't3', 't4'];
  const brokerIds = [0, 1, 2, 3];

  function makeRequest(leader: SimNode): { request: ControllerRequest; label: string } {
    const r = mrng!;
    const topic = r.pick(topicNames);
    const broker = r.pick(brokerIds);
    switch (r.int(8)) {
      case 0:
      case 1:
        return { request: { type: 'BrokerRegistration', brokerId: broker, incarnationId: randomUuid(r), rack: r.chance(0.5) ? null : `rack${broker % 2}` }, label: `BrokerRegistration ${broker}` };
      case 2:
      case 3:
        return {
          request: { type: 'BrokerHeartbeat', brokerId: broker, brokerEpoch: brokerEpochs.get(broker) ?? -1, currentMetadataOffset: leader.qc!.image.offset, wantFence: r.chance(0.05) },
          label: `BrokerHeartbeat ${broker}`,
        };
      case 4:
        return { request: { type: 'CreateTopics', topics: [{ name: topic, numPartitions: 1 + r.int(3), replicationFactor: 1 + r.int(2) }] }, label: `CreateTopics ${topic}` };
      case 5:
        return { request: { type: 'DeleteTopics', topics: [{ name: topic }] }, label: `DeleteTopics ${topic}` };
      case 6:
        return { request: { type: 'CreatePartitions', topics: [{ name: topic, count: 1 + r.int(5) }] }, label: `CreatePartitions ${topic}` };
      default:
        return {
          request: {
            type: 'IncrementalAlterConfigs',
            resources: [{ resourceType: ConfigResourceType.Topic, resourceName: topic, configs: [{ name: 'retention.ms', configOperation: r.chance(0.8) ? 'SET' : 'DELETE', value: String(1000 * (1 + r.int(100))) }] }],
          },
          label: `IncrementalAlterConfigs ${topic}`,
        };
    }
  }

  /** Submits a request to a leader's controller. Returns the place of its entry when it wrote one. */
  function submit(node: SimNode, made = makeRequest(node)): { offset: number; epoch: number } | undefined {
    const core = node.core!;
    requests++;
    const r = node.qc!.submit(viewOf(core), made.request, time * stepMs);
    if ('outcome' in r) {
      // Answered at once: nothing to write (a validation error, or no change), or not the active controller.
      if (!r.outcome.ok && r.outcome.error !== 'NOT_CONTROLLER') fail(`request ${made.label} failed with ${String(r.outcome.error)}`);
      if (r.outcome.ok) answeredOk++;
      return undefined;
    }
    if (r.ticket !== node.tickets + 1) fail(`node ${node.id} handed out ticket ${r.ticket}, expected ${node.tickets + 1}`);
    track(node, `request ${made.label}`);
    return { offset: core.logEndOffset - 1, epoch: core.epoch };
  }

  /** The controller's periodic work; a write it makes is tracked like a request's. */
  function tickController(node: SimNode): void {
    if (!node.qc || !node.core) return;
    const before = node.qc.waitingCount;
    node.qc.tick(viewOf(node.core), time * stepMs);
    if (node.qc.waitingCount > before) track(node, 'controller tick');
  }

  /** The image the committed entries before `end` replay to, extending the cache as needed. */
  function imageAt(end: number): MetadataImage {
    if (end > committed.length) fail(`an image at ${end} is past the committed log (${committed.length})`);
    while (imageAfter.length <= end) {
      const o = imageAfter.length - 1;
      const e = committed[o]!;
      const records = e.data === null ? [] : decodeMetadataRecords(e.data);
      const start = recordsBefore[o]!;
      imageAfter.push(records.length === 0 ? imageAfter[o]! : replayRecords(records.map((record, i) => ({ record, offset: start + i })), imageAfter[o]));
      recordsBefore.push(start + records.length);
    }
    return imageAfter[end]!;
  }

  /** A fresh replay, from nothing, of the committed entries before `end`. */
  function replayFresh(end: number): MetadataImage {
    const all: { record: MetadataRecord; offset: number }[] = [];
    for (const e of committed.slice(0, end)) if (e.data !== null) for (const record of decodeMetadataRecords(e.data)) all.push({ record, offset: all.length });
    return replayRecords(all);
  }

  function checkImages(fresh: boolean): void {
    for (const node of nodes.values()) {
      if (!node.qc || !node.core) continue;
      const end = node.qc.appliedEndOffset;
      const expected = fresh ? replayFresh(end) : imageAt(end);
      const why = imageDifference(node.qc.image, expected);
      if (why !== undefined) fail(`node ${node.id}'s metadata image at ${end} differs from the replay of the committed log: ${why}`);
    }
  }

  function drain(node: SimNode, crashBetween = false): void {
    const core = node.core;
    if (!core) return;
    const r = core.ready();
    persist(node, r);
    if (crashBetween) {
      crash(node);
      return;
    }
    for (const m of r.messages) {
      if (rng.chance(loss)) continue;
      const copies = rng.chance(duplicate) ? 2 : 1;
      for (let i = 0; i < copies; i++) network.push({ at: time + 1 + rng.int(delayMax), m });
    }
    // A controller that stopped leading is deactivated before it replays another
    // leader's records; one that leads is activated once it applied everything.
    sync(node);
    apply(node, r);
    sync(node);
    if (core.highWatermark < node.highWatermark) fail(`node ${node.id}'s high watermark went back from ${node.highWatermark} to ${core.highWatermark}`);
    node.highWatermark = core.highWatermark;
    if (core.role === 'leader') {
      const prev = leaderOfEpoch.get(core.epoch);
      if (prev === undefined) {
        leaderOfEpoch.set(core.epoch, node.id);
        elections++;
      } else if (prev !== node.id) fail(`two leaders in epoch ${core.epoch}: ${prev} and ${node.id}`);
    }
  }

  function crash(node: SimNode): void {
    node.core = undefined;
    crashes++;
    if (node.qc) {
      // The shell fails whatever waits on a controller that dies (ControllerNode.kill).
      const prefix = `${node.id}/${node.incarnation}/`;
      for (const key of [...waiting.keys()].filter((k) => k.startsWith(prefix))) answered(node, Number(key.slice(prefix.length)), { ok: false, error: 'NOT_CONTROLLER', message: 'controller killed' });
      node.qc = undefined;
    }
  }

  function restart(node: SimNode): void {
    node.core = new RaftCore(config(node.id), { ...(node.durable.hardState ? { hardState: node.durable.hardState } : {}), ...(node.durable.snapshot ? { snapshot: node.durable.snapshot } : {}), entries: node.durable.entries });
    const s = node.durable.snapshot;
    node.applied = s?.endOffset ?? 0;
    node.hash = s && !metadata ? Buffer.from(s.data).readUInt32BE(4) : 0;
    node.highWatermark = node.core.highWatermark;
    if (metadata) {
      node.incarnation++;
      node.tickets = 0;
      node.qc = new QuorumController(mrng!.fork(), controllerConfig);
      if (s) node.qc.restoreSnapshot(s);
    }
  }

  function step(faults: boolean): void {
    time++;
    // Deliver what is due, in random order.
    const due = network.filter((x) => x.at <= time);
    network = network.filter((x) => x.at > time);
    rng.shuffle(due);
    for (const { m } of due) {
      const to = nodes.get(m.to)!;
      if (!to.core || !connected(m.from, m.to)) continue;
      to.core.step(m);
      drain(to, faults && rng.chance(crashRate / 4));
    }
    for (const node of nodes.values()) {
      if (!node.core) continue;
      // The driver's promise (`RaftCore.ticksUntilDue`): a tick before the deadline only
      // counts, so `RaftNode` may sleep through it. Checked on every tick of every seed.
      const quiet = node.core.ticksUntilDue() > 1 && !node.core.hasReady();
      const before = quiet ? `${node.core.role}/${node.core.epoch}/${node.core.leaderId}/${node.core.highWatermark}` : '';
      node.core.tick();
      if (quiet && (node.core.hasReady() || `${node.core.role}/${node.core.epoch}/${node.core.leaderId}/${node.core.highWatermark}` !== before)) {
        fail(`node ${node.id} acted on a tick before the deadline ticksUntilDue named (was ${before})`);
      }
      sync(node);
      tickController(node);
      if (faults && node.core.role === 'leader' && rng.chance(proposeRate)) {
        // Requests go to whichever node leads (its controller answers NOT_CONTROLLER
        // until its leader-change entry commits).
        if (node.qc) submit(node);
        else node.core.propose(Buffer.from(`p${proposals++}`));
      }
      if (rng.chance(snapshotRate) && node.applied > node.core.logStartOffset) {
        let data: Uint8Array;
        if (node.qc) {
          data = node.qc.takeSnapshot();
        } else {
          const b = Buffer.alloc(8);
          b.writeUInt32BE(node.applied, 0);
          b.writeUInt32BE(node.hash, 4);
          data = b;
        }
        node.core.takeSnapshot(node.applied, data);
        // The shell may now drop the log before the snapshot from stable storage.
        node.durable.snapshot = { endOffset: node.applied, epoch: node.durable.entries.find((e) => e.offset === node.applied - 1)?.epoch ?? node.durable.snapshot?.epoch ?? 0, data };
        node.durable.entries = node.durable.entries.filter((e) => e.offset >= node.applied);
      }
      drain(node);
    }
    if (metadata && time % imageCheckEverySteps === 0) checkImages(false);
    if (!faults) return;
    for (const node of nodes.values()) {
      if (node.core && rng.chance(crashRate)) crash(node);
      else if (!node.core && rng.chance(0.05)) restart(node);
    }
    if (rng.chance(partitionRate)) {
      side = new Map();
      if (rng.chance(0.7)) for (const id of all) side.set(id, rng.int(2));
    }
  }

  for (let i = 0; i < safetySteps; i++) step(true);
  // Liveness: heal everything, restart everyone, stop losing messages.
  side = new Map();
  for (const node of nodes.values()) if (!node.core) restart(node);
  loss = 0;
  duplicate = 0;
  // A proposal made by a leader that then loses its epoch may never commit: propose
  // again to whoever leads next, until one commits everywhere.
  let target: number | undefined;
  let targetEpoch = -1;
  let steps = safetySteps;
  // The bound grows with the backlog a lagging node must fetch: one round trip (at most
  // 2 x delayMax + 2 steps) brings fetchEntriesMax entries.
  const ends = [...nodes.values()].map((n) => n.core?.logEndOffset ?? 0);
  const backlog = Math.max(...ends) - Math.min(...[...nodes.values()].map((n) => n.applied));
  const bound = livenessSteps + Math.ceil(backlog / fetchEntriesMax) * (2 * delayMax + 2);
  for (let i = 0; i < bound; i++) {
    step(false);
    steps++;
    const leader = [...nodes.values()].find((n) => n.core?.role === 'leader');
    if (leader && (target === undefined || (leader.core!.epoch !== targetEpoch && committed[target]?.epoch !== targetEpoch))) {
      // In metadata mode the proposal is a request, once the leader's controller is active.
      const p = leader.qc
        ? leader.qc.isActive
          ? submit(leader, { request: { type: 'BrokerRegistration', brokerId: 99, incarnationId: randomUuid(mrng!) }, label: 'BrokerRegistration 99' })
          : undefined
        : leader.core!.propose(Buffer.from('liveness'));
      if (p !== undefined && 'offset' in p) {
        target = p.offset;
        targetEpoch = p.epoch;
      }
      drain(leader);
    }
    if (target !== undefined && committed[target]?.epoch === targetEpoch && [...nodes.values()].every((n) => n.applied > target!)) {
      if (metadata) {
        // Every request still waiting is answered once the nodes holding it catch up.
        // The bound grows with what the slowest node must still fetch, as the liveness bound does.
        const lag = Math.max(...[...nodes.values()].map((n) => n.core?.logEndOffset ?? 0)) - Math.min(...[...nodes.values()].map((n) => n.applied));
        const answerBound = answerStepsMax + Math.ceil(lag / fetchEntriesMax) * (2 * delayMax + 2);
        for (let j = 0; j < answerBound && waiting.size > 0; j++, steps++) step(false);
        if (waiting.size > 0) fail(`${waiting.size} requests never answered, e.g. ${[...waiting.values()][0]!.what}`);
        checkImages(true);
      }
      return { seed, voters: voterCount, observers: observerCount, steps, committed: committed.length, leaderElections: elections, crashes, mode, requests, answeredOk };
    }
  }
  return fail(`no progress within ${bound} steps after faults stopped (leader proposal ${target === undefined ? 'never made' : `at ${target} not applied everywhere: ${[...nodes.values()].map((n) => `${n.id}:${n.applied}/${n.core?.role}/e${n.core?.epoch}`).join(' ')}`})`);
}
