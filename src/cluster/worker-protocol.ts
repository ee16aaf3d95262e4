/**
 * The messages between a `Cluster` in the calling thread (the supervisor) and a node
 * running in a worker of its own (`node-worker.ts`). Requests between nodes and from
 * clients do not travel here: they go over `MessagePort`s of their own (port transports).
 * @internal
 */
import type { BrokerConfig } from '../broker/broker.js';
import type { ControllerConfig } from '../metadata/controller.js';
import type { LogLevel } from '../util/logger.js';
import type { MessagePort } from 'node:worker_threads';
import type { LogLine } from './worker-log.js';
import type { ErrorPlace } from '../transport/port/messages.js';
import type { ImageCopy, NodeStatsCopy } from './node-reads.js';
import type { SyncReadEnd } from './sync-read.js';

/** Everything a node worker needs to open its node: plain data (it crosses in `workerData`). */
export interface NodeWorkerData {
  readonly id: number;
  readonly voters: readonly number[];
  readonly clusterId: string;
  readonly dataDir: string;
  readonly clusterRunId: string;
  readonly controller: Partial<ControllerConfig>;
  readonly broker: Partial<BrokerConfig>;
  readonly electionTimeoutMs?: number;
  /** The quorum is new (this start made the cluster's folder): its first voter stands without a pre-vote (`RaftCore.campaignFirst`). */
  readonly newQuorum?: boolean;
  readonly logLevel: LogLevel;
  /** Where the supervisor reads the node's counts and image synchronously (added by `WorkerNodes`, its port transferred). */
  readonly syncRead?: SyncReadEnd;
}

export type ToNodeWorker =
  /** A port to peer `id`: this node's requests to it go there. */
  | { readonly t: 'peer'; readonly id: number; readonly port: MessagePort }
  /** A port whose requests this node answers: `peer` ones with its node endpoint, `clients` ones with its broker (once serving). */
  | { readonly t: 'serve'; readonly kind: 'peer' | 'clients'; readonly port: MessagePort }
  | { readonly t: 'raftLink'; readonly a: number; readonly b: number; readonly up: boolean }
  /** Open the node: posted after the ports to the peers and the cut links, so the node's first messages find its peers. */
  | { readonly t: 'open' }
  | { readonly t: 'closeBroker' }
  | { readonly t: 'close' }
  /** Read the node's internals: its broker's counts, or its metadata image (answered by `read` with the same `id`). */
  | { readonly t: 'read'; readonly id: number; readonly what: 'stats' | 'image' }
  /** To an idle worker (its last run closed cleanly): run this node, as if started with it as `workerData` (its `syncRead` port transferred). */
  | { readonly t: 'run'; readonly data: NodeWorkerData };

export interface StartMarks {
  readonly loadedAt: number;
  readonly openedAt: number;
  /** The worker's young generation, MiB, as V8 applied its `resourceLimits` (`NODE_WORKER_YOUNG_GENERATION_MB`). */
  readonly youngGenerationMb?: number | undefined;
}

export interface NodeStatus {
  readonly active: boolean;
  readonly fenced: boolean;
  readonly leaderId: number;
}

export type FromNodeWorker =
  /** `marks`: wall-clock ms of its entry's imports loaded, and its node opened (the start's phases, logged at debug). */
  | { readonly t: 'opened'; readonly marks: StartMarks }
  | { readonly t: 'failed'; readonly code: string; readonly message: string; readonly place?: ErrorPlace }
  | { readonly t: 'registered'; readonly at: number }
  | { readonly t: 'status'; readonly status: NodeStatus }
  | { readonly t: 'activated' }
  | LogLine
  | { readonly t: 'brokerClosed' }
  /** `stats`: the broker's final counts (the supervisor keeps them past the node's run); `reusable`: the node closed cleanly and nothing of its run is left, so the worker may run another. */
  | { readonly t: 'closed'; readonly stats?: NodeStatsCopy; readonly reusable?: boolean }
  | { readonly t: 'read'; readonly id: number; readonly stats?: NodeStatsCopy; readonly image?: ImageCopy };
