/**
 * A seeded simulation of whole REAL nodes: three `ClusterNode`s (each a `RaftNode` and
 * `ControllerNode` of the metadata quorum, a `Broker` with its replica manager, replica
 * fetchers, lifecycle and group shell) with their partition logs and metadata logs in
 * `MemoryStore`s, the real `Admin`, idempotent `Producer` and `Consumer`, all on one
 * `SimulatedTimerClock`, over a simulated network (`SimNet`: each request arrives after
 * a seeded delay, in order per node, and its answer returns after another; a killed node's
 * requests fail with NETWORK_EXCEPTION). Every wait of the nodes and clients is a timer of
 * the clock (the producer's sender core and shell, the admin and the consumer start none of
 * their own: only the storage checkpoint timer, `log-dir-checkpoints.ts`, still uses the
 * global `setTimeout`, routed to the clock while a run lasts);
 * the driver fires one timer at a time and lets what it woke settle before the next, so a
 * seed replays exactly (the test runs one twice and compares the digests).
 *
 * The run: the quorum elects a controller and the brokers register; a topic with three
 * replicas per partition and `min.insync.replicas` 2 is created; the producer sends keyed
 * records (acks=all) over simulated time while the network loses messages (0 to 3%), and
 * one node (any: the active controller, a leader) is killed in the middle and, in half
 * the runs, restarted from its stores a while later; then faults stop and a consumer
 * reads every partition from the start up to the last acknowledged offset.
 *
 * Invariants (replication's, and the idempotent producer's): every acknowledged record is
 * read back at the offset it was acknowledged with; no record is read that was never sent;
 * no record is read twice, and per key the records read are in the order sent (Kafka's
 * promise with idempotence: no duplicate and no reordering within a partition while the
 * producer is open); every send succeeds; and the run finishes (an election, the
 * registrations, every send settled, everything read) within bounds of simulated time.
 * "Every send succeeds" holds for Kafka's semantics here because the run never takes away
 * what a send needs for longer than its delivery timeout (20 s): one node of three is
 * killed, so the quorum stays, a partition led by it gets a new leader from the live ISR
 * within the broker session timeout (2 s), two live replicas meet `min.insync.replicas`
 * 2, and lost messages only cost retries (backoff at most 500 ms); so a send that fails,
 * with any error, is a producer that gave up or got stuck where it had to recover (a
 * lost OpenReplica once made it a broker that stalled acks=all). A failure throws with the
 * seed and the command that replays it.
 *
 * The consumer group part (`node-sim-group.ts`, unless NODE_SIM_GROUP=0): two or three
 * real `ConsumerGroup` members consume the topic while the producer sends, through the
 * brokers' group shell, with their own faults (kills, closes) and the group simulation's
 * invariants, checked after every timer; once the sends settle, the group must consume
 * and commit everything within 60 simulated seconds.
 *
 * What still runs on real turns (and is settled between timers): the storage flusher's
 * `setImmediate` between syncs; the metadata log's vote and snapshot files are real files
 * in a temporary folder (synchronous writes).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterNode } from '../../src/cluster-node.js';
import { Admin } from '../../src/client/admin.js';
import { Consumer, type ConsumerRecord } from '../../src/client/consumer.js';
import { Producer } from '../../src/client/producer.js';
import { isRaftFrame } from '../../src/node/node-requests.js';
import type { Request, ResponseFor } from '../../src/protocol/requests.js';
import { MemoryStore, type Store } from '../../src/storage/store.js';
import type { NodeHandler, SendOptions, Transport } from '../../src/transport/transport.js';
import { SimulatedTimerClock, startTimer, type ClockTimer } from '../../src/util/clock.js';
import { TributaryError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { Rng } from '../../src/util/rng.js';
import { NodeSimGroup, type NodeSimGroupResult } from './node-sim-group.js';
import { routeGlobalTimers } from './sim-timers.js';

export interface NodeSimResult {
  readonly seed: number;
  readonly sent: number;
  readonly acked: number;
  readonly read: number;
  readonly killed: number;
  /** Whether the node killed was the active controller then. */
  readonly killedController: boolean;
  /** Whether the killed node was restarted (from its stores) while the producer sent. */
  readonly restarted: boolean;
  /** Records read twice: always 0 (a duplicate fails the run). */
  readonly duplicates: number;
  /** Sends the producer gave up on, by error code: always empty (a failed send fails the run). */
  readonly failures: Readonly<Record<string, number>>;
  /** Messages the network lost (requests and answers, between nodes and to clients). */
  readonly lost: number;
  readonly timers: number;
  readonly simulatedMs: number;
  /** A digest of every acknowledgement (record, partition, offset, time): equal for two runs of one seed. */
  readonly digest: string;
  /** The consumer group part (`node-sim-group.ts`), unless turned off. */
  readonly group?: NodeSimGroupResult;
}

export interface NodeSimOptions {
  /** Runs the consumer group part (`node-sim-group.ts`) beside the producer. Default true (NODE_SIM_GROUP=0 turns it off). */
  readonly group?: boolean;
}

const topic = 'sim';
const trace = process.env['SIMNET_TRACE'] !== undefined;
const nodeIds = [1, 2, 3];

/**
 * The simulated network: requests to a node arrive in the order sent (Transport's
 * contract), each after a seeded delay of the clock; answers return after another. A node
 * taken away (killed) fails its requests in flight with NETWORK_EXCEPTION, as a broken
 * connection does.
 */
class SimNet implements Transport {
  private readonly handlers = new Map<number, NodeHandler>();
  private readonly lastArrival = new Map<number, number>();
  private readonly inFlight = new Map<number, Set<(err: TributaryError) => void>>();
  private closed = false;
  /** Messages lost (a request or its answer). */
  lost = 0;

  /**
   * @param loss the chance that a request or its answer is lost while `faulty()`: a lost
   *   Raft message is simply gone (Raft retries, as over KRaft's own channel); any other
   *   request fails with NETWORK_EXCEPTION `brokenMs` later, handled or not (the sender
   *   cannot tell), as a broken connection tells it.
   */
  constructor(
    private readonly clock: SimulatedTimerClock,
    private readonly rng: Rng,
    private readonly delayMaxMs: number,
    private readonly loss = 0,
    private readonly faulty: () => boolean = () => false,
  ) {}

  private lose(request: Request, fail: (err: TributaryError) => void, finishRaft: () => void): boolean {
    if (this.loss === 0 || !this.faulty() || !this.rng.chance(this.loss)) return false;
    this.lost++;
    if (isRaftFrame(request)) finishRaft();
    else startTimer(this.clock, this.rng.between(100, 1000), () => fail(new TributaryError('NETWORK_EXCEPTION', 'the connection broke with the request in flight')));
    return true;
  }

  setNode(id: number, handler: NodeHandler | undefined): void {
    if (handler !== undefined) {
      this.handlers.set(id, handler);
      return;
    }
    this.handlers.delete(id);
    for (const fail of [...(this.inFlight.get(id) ?? [])]) fail(new TributaryError('NETWORK_EXCEPTION', `node ${id} went away with the request in flight`));
  }

  bootstrapNodes(): readonly number[] {
    return [...this.handlers.keys()].sort((a, b) => a - b);
  }

  send<R extends Request>(nodeId: number, request: R, options?: SendOptions): Promise<ResponseFor<R>> {
    if (this.closed) return Promise.reject(new TributaryError('CLIENT_CLOSED', 'the transport is closed'));
    return new Promise<ResponseFor<R>>((resolve, reject) => {
      let set = this.inFlight.get(nodeId);
      if (set === undefined) this.inFlight.set(nodeId, (set = new Set()));
      const pending = set;
      let settled = false;
      const finish = (err: unknown, value?: ResponseFor<R>): void => {
        if (settled) return;
        settled = true;
        pending.delete(fail);
        if (err === undefined) resolve(value!);
        else reject(err);
      };
      const fail = (err: TributaryError): void => finish(err);
      pending.add(fail);
      const signal = options?.signal;
      if (signal?.aborted) return fail(new TributaryError('REQUEST_ABORTED', 'aborted'));
      signal?.addEventListener('abort', () => fail(new TributaryError('REQUEST_ABORTED', 'aborted')), { once: true });
      const now = this.clock.now();
      const arrival = Math.max(now + this.rng.between(0, this.delayMaxMs), this.lastArrival.get(nodeId) ?? 0);
      this.lastArrival.set(nodeId, arrival);
      // A lost Raft message resolves at once for its sender (the link answers nothing): it is simply gone.
      const gone = (): void => finish(undefined, {} as ResponseFor<R>);
      if (this.lose(request, fail, gone)) return;
      startTimer(this.clock, arrival - now, () => {
        if (settled) return;
        const handler = this.handlers.get(nodeId);
        if (handler === undefined) return fail(new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} is not reachable`));
        const back = (err: unknown, value?: ResponseFor<R>): void => {
          if (settled || this.lose(request, fail, gone)) return;
          startTimer(this.clock, this.rng.between(0, this.delayMaxMs), () => finish(err, value));
        };
        const t0 = this.clock.now();
        handler.handle(request).then(
          (v) => {
            // SIMNET_TRACE=1: every request but Raft's, with its answer, to debug a failing seed.
            if (trace && !isRaftFrame(request)) console.log(`${t0}-${this.clock.now()} node ${nodeId} ${JSON.stringify(request).slice(0, 400)} -> ${JSON.stringify(v).slice(0, 300)}`);
            back(undefined, v);
          },
          (e: unknown) => back(e ?? new TributaryError('UNKNOWN_SERVER_ERROR')),
        );
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const set of this.inFlight.values()) for (const fail of [...set]) fail(new TributaryError('NETWORK_EXCEPTION', 'the transport closed'));
  }
}

/** Runs one seed; resolves with what happened, or rejects naming the seed. */
export async function runNodeSimulation(seed: number, options: NodeSimOptions = {}): Promise<NodeSimResult> {
  const clock = new SimulatedTimerClock(1_700_000_000_000);
  // The few real files (vote and snapshot files, checkpoints: written and synced at once)
  // go to memory where the system has a tmpfs: a sync there costs nothing, and on a disk
  // the syncs were a third of a seed's time.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tributary-node-sim-'));
  const restore = routeGlobalTimers(clock);
  try {
    const result = await simulate(seed, clock, dir, options.group ?? process.env['NODE_SIM_GROUP'] !== '0');
    const global = restore.globalTimers();
    if (global.length > 0) throw new Error(`a global setTimeout ran in the simulation (every timer must come from the clock):\n${global[0]}`);
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`node simulation seed ${seed}: ${message}\n  replay: NODE_SIM_SEED=${seed} npx vitest run test/sim/node-sim.test.ts`, { cause: err });
  } finally {
    restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function simulate(seed: number, clock: SimulatedTimerClock, dir: string, withGroup: boolean): Promise<NodeSimResult> {
  const rng = new Rng(seed);
  const start = clock.now();
  // Faults (message loss) last while the producer sends; they stop before everything is read back.
  let faulty = false;
  const loss = rng.pick([0, 0.002, 0.01, 0.03]);
  const nodeNet = new SimNet(clock, rng.fork(), 3, loss, () => faulty);
  const clientNet = new SimNet(clock, rng.fork(), 3, loss, () => faulty);
  const stores = new Map<string, Store>();
  const memory = (d: string): Store => {
    let s = stores.get(d);
    // The folder holds the files a partition keeps beside its log (partition.metadata): real, written synchronously.
    mkdirSync(d, { recursive: true });
    if (s === undefined) stores.set(d, (s = new MemoryStore()));
    return s;
  };
  const fail = (why: string): never => {
    throw new Error(why);
  };

  /** The consumer group part, once the topic exists. */
  let group: NodeSimGroup | undefined;

  // ---- the driver: one timer at a time, then what it woke settles ----
  let timers = 0;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const step = async (): Promise<void> => {
    if (!clock.runNext()) fail('no timer is pending: the simulation stalled');
    timers++;
    for (let i = 0; i < 4; i++) await turn();
    try {
      group?.check();
    } catch (err) {
      fail(`${(err as Error).message} (${group!.describe()})`);
    }
  };
  /** Drives the clock until `p` settles, at most `ms` of simulated time. */
  const until = async <T>(what: string, p: Promise<T>, ms: number): Promise<T> => {
    let done = false;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    p.then(
      (v) => ((done = true), (value = v)),
      (e: unknown) => ((done = true), (failed = true), (error = e)),
    );
    const deadline = clock.now() + ms;
    for (let i = 0; i < 4; i++) await turn();
    while (!done) {
      if (clock.now() > deadline) fail(`${what}: not done within ${ms} simulated ms`);
      await step();
    }
    if (failed) throw error;
    return value as T;
  };

  // ---- three nodes ----
  const nodes = new Map<number, ClusterNode>();
  /** Opens (or, after a kill, reopens from its stores) one node; each opening draws another seed (a new incarnation). */
  let openings = 0;
  const open = (id: number): Promise<ClusterNode> =>
    ClusterNode.open({
      id,
      voters: nodeIds,
      clusterId: 'node-sim',
      dataDir: dir,
      nodes: nodeNet,
      register: (endpoint) => nodeNet.setNode(id, endpoint),
      clock,
      controller: { brokerSessionTimeoutMs: 2000 },
      broker: { heartbeatIntervalMs: 250 },
      openStore: memory,
      openMetadataStore: memory,
      logger: silentLogger,
      seed: (seed * 31 + id + 1000 * openings++) >>> 0,
    }).then((n) => {
      nodes.set(id, n);
      return n;
    });
  /** Serves clients and peers once registered (as `Cluster` does). */
  const serveWhenRegistered = (n: ClusterNode): Promise<void> =>
    n.broker.whenRegistered().then(() => {
      if (nodes.get(n.id) !== n) return;
      clientNet.setNode(n.id, n.broker);
      n.setServing(true);
    });
  await until('opening the nodes', Promise.all(nodeIds.map(open)), 5_000);
  await until('electing a controller and registering the brokers', Promise.all([...nodes.values()].map(serveWhenRegistered)), 20_000);

  // ---- a topic, and keyed sends with a kill in the middle ----
  const partitions = 1 + rng.int(4);
  const admin = new Admin(clientNet, { clock, requestTimeoutMs: 5_000 });
  await until('creating the topic', admin.createTopics([{ name: topic, partitions, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]), 20_000);
  // The consumer group part: its members consume while the producer sends (its own randomness).
  group = withGroup ? new NodeSimGroup({ seed, clock, net: clientNet, topic, partitions, faulty: () => faulty }) : undefined;
  group?.start();
  const producer = new Producer(clientNet, { clientId: 'p', idempotent: true, acks: 'all', lingerMs: rng.pick([0, 5]), requestTimeoutMs: 1000, deliveryTimeoutMs: 20_000, retryBackoffMs: 50, retryBackoffMaxMs: 500, randomSeed: seed }, clock);
  const keys = 2 + rng.int(6);
  const count = 100 + rng.int(200);
  const spreadMs = 500 + rng.int(2000);
  const killAt = clock.now() + rng.int(spreadMs);
  const killed = rng.pick(nodeIds);
  let killedController = false;
  const acked = new Map<number, { partition: number; offset: number }>();
  const digest: string[] = [];
  let settled = 0;
  const failures: Record<string, number> = {};
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const at = Math.round((spreadMs * i) / count);
    sends.push(
      new Promise<void>((resolve) => {
        startTimer(clock, at, () => {
          producer.send(topic, { key: `k${i % keys}`, value: String(i) }).then(
            (m) => {
              const md = Array.isArray(m) ? m[0]! : m;
              acked.set(i, { partition: md.partition, offset: md.offset });
              digest.push(`${i}@${md.partition}:${md.offset}+${clock.now() - start}`);
              settled++;
              resolve();
            },
            (err: unknown) => {
              const code = err instanceof TributaryError ? err.code : String(err);
              failures[code] = (failures[code] ?? 0) + 1;
              settled++;
              resolve();
            },
          );
        });
      }),
    );
  }
  const restartAfterMs = rng.pick([undefined, 500 + rng.int(3000)]);
  let restarted: Promise<void> = Promise.resolve();
  startTimer(clock, killAt - clock.now(), () => {
    const n = nodes.get(killed)!;
    killedController = n.metadata.isActive;
    nodeNet.setNode(killed, undefined);
    clientNet.setNode(killed, undefined);
    n.kill();
    nodes.delete(killed);
    if (restartAfterMs !== undefined) {
      restarted = new Promise<void>((resolve, reject) => startTimer(clock, restartAfterMs, () => void open(killed).then(serveWhenRegistered).then(resolve, reject)));
    }
  });
  faulty = true;
  await until('every send settling', Promise.all(sends), spreadMs + 60_000);
  faulty = false;
  await until('the killed node restarting', new Promise<void>((resolve, reject) => startTimer(clock, (restartAfterMs ?? 0) + 1, () => void restarted.then(resolve, reject))), 30_000);
  if (settled !== count) fail(`${count - settled} sends never settled`);
  if (Object.keys(failures).length > 0) fail(`sends failed with a quorum and a live leader for every partition: ${JSON.stringify(failures)}`);
  if (acked.size === 0) fail(`no send was acknowledged (lost ${nodeNet.lost}+${clientNet.lost})`);

  // ---- the group consumes and commits everything ----
  const settleFrom = clock.now();
  if (group !== undefined) {
    const g = group;
    await until('the group consuming and committing everything', g.settle(admin, acked), 60_000).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      fail(message.includes('(group: ') ? message : `${message} (${g.describe()})`);
    });
  }
  const settleMs = clock.now() - settleFrom;

  // ---- read everything back ----
  const consumer = new Consumer(clientNet, { clientId: 'c' }, clock);
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  consumer.assign(tps);
  for (const tp of tps) await until('seeking', consumer.seek(tp, 'earliest'), 20_000);
  // Read every partition up to its last acknowledged offset (records after it may be read too).
  const want = new Set([...acked.values()].map((md) => `${md.partition}:${md.offset}`));
  const read: ConsumerRecord[] = [];
  const reading = (async () => {
    if (want.size === 0) return;
    for await (const r of consumer) {
      read.push(r);
      want.delete(`${r.partition}:${r.offset}`);
      if (want.size === 0) return;
    }
  })();
  try {
    await until('reading every acknowledged record', reading, 60_000);
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)} (acknowledged offsets still unread: ${[...want].slice(0, 10).join(', ')})`);
  }

  // ---- the invariants ----
  const at = new Map<string, number>();
  const lastByKey = new Map<string, number>();
  const seen = new Set<number>();
  const duplicates = 0;
  for (const r of read) {
    const i = Number(Buffer.from(r.value!).toString());
    if (!Number.isSafeInteger(i) || i < 0 || i >= count) fail(`record ${r.partition}:${r.offset} was never sent`);
    const key = Buffer.from(r.key!).toString();
    if (key !== `k${i % keys}`) fail(`record ${i} read with key ${key}`);
    at.set(`${r.partition}:${r.offset}`, i);
    if (seen.has(i)) fail(`record ${i} read twice (again at ${r.partition}:${r.offset})`);
    seen.add(i);
    const last = lastByKey.get(key);
    if (last !== undefined && i < last) fail(`key ${key}: record ${i} (${acked.has(i) ? 'acknowledged' : 'not acknowledged'}) at ${r.partition}:${r.offset} read after record ${last} (${acked.has(last) ? 'acknowledged' : 'not acknowledged'})`);
    lastByKey.set(key, i);
  }
  if (process.env['NODE_SIM_DEBUG'] !== undefined) {
    for (const r of read) console.log(`read ${r.partition}:${r.offset} = ${Buffer.from(r.value!).toString()} (leader epoch ${r.leaderEpoch})`);
    for (const [i, md] of acked) console.log(`acked ${i} at ${md.partition}:${md.offset}`);
  }
  for (const [i, md] of acked) {
    const found = at.get(`${md.partition}:${md.offset}`);
    if (found !== i) fail(`acknowledged record ${i} at ${md.partition}:${md.offset} is ${found === undefined ? 'lost' : `record ${found} there`}`);
  }

  if (group !== undefined) await until('closing the group members', group.closeAll(), 30_000);
  await until('closing the clients', Promise.all([producer.close(), consumer.close()]), 30_000);
  admin.close();
  clientNet.close();
  const closing = [...nodes.values()].map((n) => n.close());
  await until('closing the nodes', Promise.all(closing), 30_000);
  nodeNet.close();
  return { seed, sent: count, acked: acked.size, read: read.length, killed, killedController, restarted: restartAfterMs !== undefined, duplicates, failures, lost: nodeNet.lost + clientNet.lost, timers, simulatedMs: clock.now() - start, digest: digest.join(' '), ...(group !== undefined ? { group: group.result(settleMs) } : {}) };
}
