import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControllerConfig } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import type { ControllerRequest, ControllerResponse } from '../metadata/requests.js';
import { InlineRaftNetwork } from '../raft/inline-network.js';
import { systemClock, type Clock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { checkOptions, clockRule, custom, durationMs, electionTimeoutMsMax, int, object, str, type OptionRules } from '../util/options.js';
import { delay } from '../util/timeout.js';
import { ControllerNode } from './controller-node.js';
import { submitToActive } from './submit.js';

/**
 * Options of {@link MetadataQuorum.start}.
 *
 * @example
 * ```ts
 * import { MetadataQuorum, type MetadataQuorumOptions } from 'tributary-log';
 *
 * const options: MetadataQuorumOptions = { voters: 5, electionTimeoutMs: 150, snapshotBytes: 1024 * 1024 };
 * await using quorum = await MetadataQuorum.start(options);
 * console.log(quorum.voterIds); // [ 1, 2, 3, 4, 5 ]
 * ```
 */
export interface MetadataQuorumOptions {
  /** Voters: 1, 3 or 5. Default 3. */
  readonly voters?: number;
  /** Where each node keeps its files (`<dataDir>/node-<id>/`). Omitted: a temporary folder removed on close. */
  readonly dataDir?: string;
  /** Default 50 ms. */
  readonly tickMs?: number;
  /** Default 300 ms: a follower stands for election after [300, 600) ms without a leader. */
  readonly electionTimeoutMs?: number;
  /** The controller's settings (broker session timeout, default partitions, ...). */
  readonly controller?: Partial<ControllerConfig>;
  /** Bytes of committed records between snapshots. Default 20 MiB. */
  readonly snapshotBytes?: number;
  readonly clock?: Clock;
}

const controllerRules: OptionRules = {
  brokerSessionTimeoutMs: durationMs(100, 3_600_000),
  defaultNumPartitions: int(1, 100_000),
  defaultReplicationFactor: int(1, 100),
  metadataMaxIdleIntervalMs: durationMs(0),
  numPartitionsMax: int(1, 1_000_000),
  uncommittedRecordsMax: int(1, 2 ** 30),
  clusterId: str(1, 64),
};

const quorumRules: OptionRules = {
  voters: custom('1, 3 or 5', (v) => v === 1 || v === 3 || v === 5),
  dataDir: str(1, 4096),
  tickMs: durationMs(1, 10_000),
  electionTimeoutMs: durationMs(20, electionTimeoutMsMax),
  controller: object(controllerRules),
  snapshotBytes: int(1024, 2 ** 40),
  clock: clockRule,
};

/**
 * Options of {@link MetadataQuorum.submit}.
 *
 * @example
 * ```ts
 * import { MetadataQuorum, type SubmitOptions } from 'tributary-log';
 *
 * await using quorum = await MetadataQuorum.start({ voters: 3 });
 * // Fail with REQUEST_TIMED_OUT unless a controller commits the request within 5 s.
 * const options: SubmitOptions = { timeoutMs: 5000 };
 * await quorum.submit({ type: 'CreateTopics', topics: [{ name: 'orders', numPartitions: 3 }] }, options);
 * ```
 */
export interface SubmitOptions {
  /** Give up (REQUEST_TIMED_OUT) after this long. Default 30,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * A KRaft-style metadata quorum of N controller voters in this process, each with its
 * own Raft log on disk. Submit admin requests to it, watch the metadata image change,
 * and kill or restart voters to see it fail over.
 *
 * @example
 * ```ts
 * import { MetadataQuorum } from 'tributary-log';
 *
 * await using quorum = await MetadataQuorum.start({ voters: 3 });
 * const leader = await quorum.waitForLeader();
 * const r = await quorum.submit({ type: 'CreateTopics', topics: [{ name: 'orders', numPartitions: 0 }] });
 * console.log(leader.id, r.topics[0]!.errorCode); // e.g. 1 INVALID_PARTITIONS
 * ```
 */
export class MetadataQuorum {
  /** The voters' node ids, 1 to `voters`. */
  readonly voterIds: readonly number[];
  private readonly nodes = new Map<number, ControllerNode>();
  private readonly network: InlineRaftNetwork;
  private readonly ownsDir: boolean;
  private closed = false;

  private constructor(
    private readonly options: MetadataQuorumOptions,
    readonly dataDir: string,
    ownsDir: boolean,
  ) {
    const n = options.voters ?? 3;
    this.voterIds = Array.from({ length: n }, (_, i) => i + 1);
    this.ownsDir = ownsDir;
    this.network = new InlineRaftNetwork(options.clock);
  }

  /** Starts the voters (3 unless `voters` says otherwise) on their logs in `dataDir` (a temporary folder without it) and resolves once each runs; the election may still be under way (`waitForLeader()`). */
  static async start(options: MetadataQuorumOptions = {}): Promise<MetadataQuorum> {
    checkOptions(options, quorumRules, 'a metadata quorum');
    const ownsDir = options.dataDir === undefined;
    const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-quorum-'));
    const q = new MetadataQuorum(options, dir, ownsDir);
    try {
      for (const id of q.voterIds) await q.restart(id);
    } catch (err) {
      await q.close();
      throw err;
    }
    return q;
  }

  /** The node with this id, if running. */
  node(id: number): ControllerNode | undefined {
    return this.nodes.get(id);
  }

  /** The active controller, if there is one now. */
  get active(): ControllerNode | undefined {
    for (const n of this.nodes.values()) if (n.isActive) return n;
    return undefined;
  }

  /** The active controller's committed image (or any running node's, when none is active). */
  get image(): MetadataImage {
    const n = this.active ?? this.nodes.values().next().value;
    if (n === undefined) throw new TributaryError('CLIENT_CLOSED', 'no controller is running');
    return n.image;
  }

  /** Waits until a controller is active and returns it. */
  async waitForLeader(timeoutMs = 10_000): Promise<ControllerNode> {
    const clock = this.options.clock ?? systemClock;
    const deadline = clock.monotonic() + timeoutMs;
    for (;;) {
      this.assertOpen();
      const a = this.active;
      if (a) return a;
      if (clock.monotonic() > deadline) throw new TributaryError('REQUEST_TIMED_OUT', `no controller became active within ${timeoutMs} ms`);
      await delay(5, clock);
    }
  }

  /**
   * Submits a request to the active controller, waiting for one and retrying on the next
   * when leadership moves, and resolves once the request's records have committed.
   */
  async submit<R extends ControllerRequest>(request: R, options: SubmitOptions = {}): Promise<ControllerResponse<R>> {
    return submitToActive(() => this.active, request, this.options.clock ?? systemClock, options.timeoutMs ?? 30_000, () => this.closed);
  }

  /** Calls `listener` with every image the active controller commits, whichever node that is. Returns the function that stops it. */
  watch(listener: (image: MetadataImage) => void): () => void {
    let last: MetadataImage | undefined;
    const offs = new Map<number, () => void>();
    const attach = (n: ControllerNode) =>
      n.onImage((image) => {
        if (last === undefined || image.offset > last.offset) {
          last = image;
          listener(image);
        }
      });
    for (const [id, n] of this.nodes) offs.set(id, attach(n));
    this.attachers.add(attach);
    return () => {
      this.attachers.delete(attach);
      for (const off of offs.values()) off();
    };
  }

  private readonly attachers = new Set<(n: ControllerNode) => () => void>();

  /** Kills a voter: no clean shutdown, unsynced writes may be lost. */
  kill(id: number): void {
    const n = this.nodes.get(id);
    if (!n) return;
    this.nodes.delete(id);
    n.kill();
  }

  /** Stops a voter cleanly. */
  async stop(id: number): Promise<void> {
    const n = this.nodes.get(id);
    if (!n) return;
    this.nodes.delete(id);
    await n.close();
  }

  /** (Re)starts a stopped or killed voter from its files. */
  async restart(id: number): Promise<ControllerNode> {
    this.assertOpen();
    if (!this.voterIds.includes(id)) throw new TributaryError('INVALID_ARGUMENT', `no voter ${id} in this quorum`, { option: 'id' });
    const existing = this.nodes.get(id);
    if (existing) return existing;
    const o = this.options;
    const n = await ControllerNode.open({
      id,
      voters: this.voterIds,
      dataDir: join(this.dataDir, `node-${id}`),
      network: this.network,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
      ...(o.electionTimeoutMs !== undefined ? { electionTimeoutMs: o.electionTimeoutMs } : {}),
      ...(o.controller ? { controller: o.controller } : {}),
      ...(o.snapshotBytes !== undefined ? { snapshotBytes: o.snapshotBytes } : {}),
    });
    this.nodes.set(id, n);
    for (const attach of this.attachers) attach(n);
    return n;
  }

  /** Cuts or restores the link between two voters. */
  setLink(a: number, b: number, up: boolean): void {
    this.network.setLink(a, b, up);
  }

  /** Stops every voter; removes the data folder when the quorum made it. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    await Promise.all(nodes.map((n) => n.close()));
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the quorum is closed');
  }
}
