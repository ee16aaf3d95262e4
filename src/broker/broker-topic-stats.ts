/**
 * What a broker counts, after Kafka's `BrokerTopicStats` (messages and bytes in and out,
 * in total and per topic) and `RequestMetrics` (time per request type), plus the
 * partition leaderships it took. It also publishes the `tributary:produce`,
 * `tributary:fetch` and `tributary:election` diagnostics messages, and logs leadership
 * changes at debug level.
 * @internal
 */
import { apiName } from '../protocol/api-keys.js';
import { positions, batchLogOverheadBytes } from '../record/batch.js';
import { channels, type ElectionEvent, type FetchEvent, type ProduceEvent } from '../util/channels.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { LatencyHistogram } from '../util/metrics.js';

/** Records and bytes into (produced) and out of (fetched by consumers) a topic, or the broker. */
export interface TrafficCounts {
  recordsIn: number;
  bytesIn: number;
  recordsOut: number;
  bytesOut: number;
}

const zero = (): TrafficCounts => ({ recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 });

export class BrokerTopicStats {
  readonly total: TrafficCounts = zero();
  readonly topics = new Map<string, TrafficCounts>();
  /** Request handling time by API name ('Produce', 'Fetch', ...). */
  readonly requestLatency = new Map<string, LatencyHistogram>();
  /** Times this broker became the leader of a partition (at a new leader epoch). */
  leaderElections = 0;

  constructor(
    private readonly nodeId: number,
    logger: Logger | undefined,
  ) {
    this.log = logger ?? silentLogger;
  }

  /** The broker's logger. */
  readonly log: Logger;

  request(apiKey: number, ms: number): void {
    const name = apiName(apiKey);
    let h = this.requestLatency.get(name);
    if (h === undefined) this.requestLatency.set(name, (h = new LatencyHistogram()));
    h.record(ms);
  }

  /** A leader appended `records` (count from its offsets) in `bytes`. */
  produced(topic: string, partition: number, baseOffset: number, lastOffset: number, bytes: number): void {
    const records = lastOffset - baseOffset + 1;
    const t = this.topic(topic);
    t.recordsIn += records;
    t.bytesIn += bytes;
    this.total.recordsIn += records;
    this.total.bytesIn += bytes;
    if (channels.produce.hasSubscribers) channels.produce.publish({ nodeId: this.nodeId, topic, partition, records, bytes, baseOffset } satisfies ProduceEvent);
  }

  /** A leader answered a fetch of one partition with `bytes` of batches. Only consumers' reads count as out. */
  fetched(replicaId: number, topic: string, partition: number, fetchOffset: number, bytes: Uint8Array, highWatermark: number): void {
    if (bytes.length === 0) return;
    const consumer = replicaId < 0;
    if (!consumer && !channels.fetch.hasSubscribers) return;
    const records = countRecords(bytes);
    if (consumer) {
      const t = this.topic(topic);
      t.recordsOut += records;
      t.bytesOut += bytes.length;
      this.total.recordsOut += records;
      this.total.bytesOut += bytes.length;
    }
    if (channels.fetch.hasSubscribers) {
      channels.fetch.publish({ nodeId: this.nodeId, replicaId, topic, partition, fetchOffset, records, bytes: bytes.length, highWatermark } satisfies FetchEvent);
    }
  }

  /** A partition's leadership as the metadata now has it, against what the replica had (-1: not leader). */
  leadership(topic: string, partition: number, wasLeaderAt: number, leaderAt: number): void {
    if (leaderAt >= 0 && leaderAt > wasLeaderAt) this.becameLeader(topic, partition, leaderAt);
  }

  private becameLeader(topic: string, partition: number, leaderEpoch: number): void {
    this.leaderElections++;
    this.log.debug({ nodeId: this.nodeId, topic, partition, leaderEpoch }, `node ${this.nodeId} leads ${topic}-${partition} (leader epoch ${leaderEpoch})`);
    if (channels.election.hasSubscribers) channels.election.publish({ type: 'partition', nodeId: this.nodeId, topic, partition, leaderEpoch } satisfies ElectionEvent);
  }

  private topic(name: string): TrafficCounts {
    let t = this.topics.get(name);
    if (t === undefined) this.topics.set(name, (t = zero()));
    return t;
  }
}

/**
 * Records in a run of record batches, from each batch header's record count (no
 * decompression): a walk of batch lengths, about 30 ns a batch.
 */
export function countRecords(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let records = 0;
  let pos = 0;
  while (pos + positions.recordCount + 4 <= bytes.length) {
    const size = batchLogOverheadBytes + view.getInt32(pos + positions.batchLength);
    if (size <= batchLogOverheadBytes || pos + size > bytes.length) break;
    records += Math.max(0, view.getInt32(pos + positions.recordCount));
    pos += size;
  }
  return records;
}
