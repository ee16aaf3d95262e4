/**
 * A seeded simulation of the pure Raft core: one seed chooses the cluster (1, 3 or 5
 * voters and up to 2 observers), the fault rates, and every event. The network loses,
 * duplicates, delays and reorders messages and is partitioned at times; nodes crash and
 * restart, losing whatever they had not persisted (a crash may fall between persisting
 * and sending). Invariants are checked after every step; then faults stop and a leader
 * must be elected and a new proposal committed everywhere within a bound. A failure
 * throws with the seed, and the same seed replays it exactly.
 */
import { RaftCore, type Entry, type HardState, type Message, type Ready, type Snapshot } from '../../src/raft/core/kraft.js';
import { Rng } from '../../src/util/rng.js';

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
}

export interface SimResult {
  readonly seed: number;
  readonly voters: number;
  readonly observers: number;
  readonly steps: number;
  readonly committed: number;
  readonly leaderElections: number;
  readonly crashes: number;
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

export function runKraftSimulation(seed: number, options: { safetySteps?: number; livenessSteps?: number } = {}): SimResult {
  try {
    return simulate(seed, options);
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('raft simulation failed')) throw err;
    throw new Error(`raft simulation failed (seed ${seed}): ${message}\nreplay: npm run sim -- --seed ${seed}`, { cause: err });
  }
}

function simulate(seed: number, options: { safetySteps?: number; livenessSteps?: number }): SimResult {
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
  const safetySteps = options.safetySteps ?? 400;
  const livenessSteps = options.livenessSteps ?? 600;
  const voters = Array.from({ length: voterCount }, (_, i) => i + 1);
  const all = [...voters, ...Array.from({ length: observerCount }, (_, i) => 100 + i)];
  const fail = (why: string): never => {
    throw new Error(`raft simulation failed (seed ${seed}; ${voterCount} voters, ${observerCount} observers): ${why}\nreplay: npm run sim -- --seed ${seed}`);
  };
  const config = (id: number) => ({ id, voters, rng: rng.fork(), electionTicks: 10, checkQuorumTicks: 15, fetchEntriesMax });

  const nodes = new Map<number, SimNode>();
  for (const id of all) {
    nodes.set(id, { id, voter: voters.includes(id), core: new RaftCore(config(id)), durable: { entries: [] }, applied: 0, hash: 0, highWatermark: 0 });
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
    if (r.snapshot) {
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
      if (chain[e.offset] !== node.hash) fail(`node ${node.id}'s state after offset ${e.offset} differs from the replay of the committed log`);
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
    apply(node, r);
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
  }

  function restart(node: SimNode): void {
    node.core = new RaftCore(config(node.id), { ...(node.durable.hardState ? { hardState: node.durable.hardState } : {}), ...(node.durable.snapshot ? { snapshot: node.durable.snapshot } : {}), entries: node.durable.entries });
    const s = node.durable.snapshot;
    node.applied = s?.endOffset ?? 0;
    node.hash = s ? Buffer.from(s.data).readUInt32BE(4) : 0;
    node.highWatermark = node.core.highWatermark;
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
      node.core.tick();
      if (node.core.role === 'leader' && rng.chance(proposeRate)) {
        node.core.propose(Buffer.from(`p${proposals++}`));
      }
      if (rng.chance(snapshotRate) && node.applied > node.core.logStartOffset) {
        const data = Buffer.alloc(8);
        data.writeUInt32BE(node.applied, 0);
        data.writeUInt32BE(node.hash, 4);
        node.core.takeSnapshot(node.applied, data);
        // The shell may now drop the log before the snapshot from stable storage.
        node.durable.snapshot = { endOffset: node.applied, epoch: node.durable.entries.find((e) => e.offset === node.applied - 1)?.epoch ?? node.durable.snapshot?.epoch ?? 0, data };
        node.durable.entries = node.durable.entries.filter((e) => e.offset >= node.applied);
      }
      drain(node);
    }
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
  for (let i = 0; i < livenessSteps; i++) {
    step(false);
    steps++;
    const leader = [...nodes.values()].find((n) => n.core?.role === 'leader');
    if (leader && (target === undefined || (leader.core!.epoch !== targetEpoch && committed[target]?.epoch !== targetEpoch))) {
      const p = leader.core!.propose(Buffer.from('liveness'));
      if ('offset' in p) {
        target = p.offset;
        targetEpoch = p.epoch;
      }
      drain(leader);
    }
    if (target !== undefined && committed[target]?.epoch === targetEpoch && [...nodes.values()].every((n) => n.applied > target!)) {
      return { seed, voters: voterCount, observers: observerCount, steps, committed: committed.length, leaderElections: elections, crashes };
    }
  }
  return fail(`no progress within ${livenessSteps} steps after faults stopped (leader proposal ${target === undefined ? 'never made' : `at ${target} not applied everywhere: ${[...nodes.values()].map((n) => `${n.id}:${n.applied}/${n.core?.role}/e${n.core?.epoch}`).join(' ')}`})`);
}
