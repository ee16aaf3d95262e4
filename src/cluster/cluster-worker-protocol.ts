/**
 * The messages between a `Cluster` in the calling thread and the whole cluster running in
 * one worker (`threads: 'worker'`, `src/cluster-worker.ts`). Clients' requests do not
 * travel here: they go over the port of a cluster handle the worker made.
 * @internal
 */
import type { LogLine } from './worker-log.js';
import type { ErrorPlace } from '../transport/port/messages.js';

export type ClusterOp = 'stopNode' | 'restartNode' | 'killNode' | 'setRaftLink' | 'close' | 'metrics' | 'metadata';

export interface NodeInfo {
  readonly id: number;
  readonly running: boolean;
  readonly controller: boolean;
  readonly activeController: boolean;
  readonly fenced: boolean;
}

export type ToClusterWorker = { readonly t: 'op'; readonly id: number; readonly op: ClusterOp; readonly args: readonly (number | boolean)[] };

export type FromClusterWorker =
  | { readonly t: 'started'; readonly clusterId: string; readonly nodeIds: readonly number[]; readonly runId: string; readonly bootstrapServers: string | undefined; readonly port: import('node:worker_threads').MessagePort; /** The worker's young generation, MiB, as V8 applied its `resourceLimits` (`NODE_WORKER_LIMITS`). */ readonly youngGenerationMb?: number | undefined }
  | { readonly t: 'failed'; readonly code: string; readonly message: string; readonly place?: ErrorPlace }
  | { readonly t: 'status'; readonly nodes: readonly NodeInfo[] }
  /** `value`: what a read answers (`metrics`: a `ClusterMetrics`; `metadata`: an `ImageCopy`). */
  | { readonly t: 'done'; readonly id: number; readonly code?: string; readonly message?: string; readonly place?: ErrorPlace; readonly value?: unknown }
  | LogLine;
