/**
 * What a node in a worker sends back when the supervisor reads its internals
 * (`cluster.readMetrics()`, `cluster.readMetadata()`): its broker's counts and its
 * metadata image, as data that crosses a `postMessage`. The image crosses as its snapshot
 * chunks (the bytes a Raft snapshot holds), transferred, and is rebuilt here by replay, so
 * the calling thread's copy is built the one way every image is.
 * @internal
 */
import type { TrafficCounts } from '../broker/broker-topic-stats.js';
import type { NodeStats } from '../observe/cluster-metrics.js';
import { restore, snapshot, type MetadataImage } from '../metadata/image.js';
import { LatencyHistogram } from '../util/metrics.js';

export type { NodeStats };
/** `NodeStats` as it crosses: Maps and a histogram's own fields clone as they are. */
export interface NodeStatsCopy {
  readonly total: TrafficCounts;
  readonly topics: Map<string, TrafficCounts>;
  readonly requestLatency: Map<string, object>;
  readonly leaderElections: number;
}

export interface ImageCopy {
  readonly offset: number;
  readonly chunks: Uint8Array[];
}

/** A broker's counts as they are now (the clone is taken by `postMessage` at once). */
export function statsCopy(s: NodeStats): NodeStatsCopy {
  return { total: s.total, topics: s.topics, requestLatency: s.requestLatency, leaderElections: s.leaderElections };
}

/**
 * The counts back in `NodeStats` form. A `LatencyHistogram`'s fields (a `Float64Array` of
 * bucket counts, then numbers) survive the structured clone; only the prototype is lost,
 * and it is put back.
 */
export function statsFromCopy(c: NodeStatsCopy): NodeStats {
  const latency = new Map<string, LatencyHistogram>();
  for (const [api, h] of c.requestLatency) latency.set(api, Object.setPrototypeOf(h, LatencyHistogram.prototype) as LatencyHistogram);
  return { total: c.total, topics: c.topics, requestLatency: latency, leaderElections: c.leaderElections };
}

/** The image as snapshot chunks, each copied into a buffer of its own (never a pooled one) and listed for transfer. */
export function imageCopy(image: MetadataImage): { copy: ImageCopy; transfer: ArrayBuffer[] } {
  const chunks = snapshot(image).map((c) => new Uint8Array(c));
  return { copy: { offset: image.offset, chunks }, transfer: chunks.map((c) => c.buffer as ArrayBuffer) };
}

export function imageFromCopy(c: ImageCopy): MetadataImage {
  return restore(c.chunks, c.offset);
}
