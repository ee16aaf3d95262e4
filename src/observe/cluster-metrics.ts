/**
 * `cluster.metrics()`: what a Kafka operator scrapes from a cluster (Kafka's
 * `BrokerTopicStats`, `RequestMetrics`, `ReplicaManager` and `KafkaController` gauges),
 * summed over the nodes of one `Cluster`. Counters count from `Cluster.start` and stay
 * monotonic across node restarts: a node's counts are kept when it stops.
 */
import type { BrokerTopicStats, TrafficCounts } from '../broker/broker-topic-stats.js';
import type { MetadataImage } from '../metadata/image.js';
import { LatencyHistogram, type LatencySummary } from '../util/metrics.js';

/**
 * Records and bytes produced to (in) and fetched by consumers from (out) a topic.
 *
 * @example
 * ```ts
 * import { Cluster, type TopicTraffic } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * await cluster.producer().send('orders', [{ value: 'a' }]);
 * const orders: TopicTraffic | undefined = cluster.metrics().topics.orders;
 * console.log(orders?.recordsIn); // 1
 * ```
 */
export interface TopicTraffic {
  readonly recordsIn: number;
  readonly bytesIn: number;
  readonly recordsOut: number;
  readonly bytesOut: number;
}

/**
 * A snapshot of a cluster's metrics, from {@link Cluster.metrics}. Counters (`recordsIn`,
 * `bytesIn`, `recordsOut`, `bytesOut`, elections, request latencies) count from
 * `Cluster.start`; gauges (nodes, partitions) are as of the call. `recordsOut` counts
 * records consumers fetched (followers' replication is not counted). Format it for
 * Prometheus with {@link prometheusText}.
 *
 * @example
 * ```ts
 * import { Cluster, type ClusterMetrics } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * await cluster.admin().createTopics([{ name: 'orders', partitions: 3 }]);
 * await cluster.producer().send('orders', [{ key: 'k', value: 'v' }]);
 * const m: ClusterMetrics = cluster.metrics();
 * console.log(m.recordsIn, m.underReplicatedPartitions, m.offlinePartitions, m.activeControllerId > 0); // 1 0 0 true
 * ```
 */
export interface ClusterMetrics {
  readonly kind: 'cluster';
  readonly nodes: number;
  readonly runningNodes: number;
  readonly fencedNodes: number;
  /** The node that is the active controller, or -1 while there is none. */
  readonly activeControllerId: number;
  /** Times a node became the active controller. */
  readonly controllerElections: number;
  /** Times a node became a partition's leader (at a new leader epoch), counted by the nodes that opened it. */
  readonly partitionLeaderElections: number;
  readonly topicCount: number;
  readonly partitions: number;
  /** Partitions whose ISR is smaller than their replica set. */
  readonly underReplicatedPartitions: number;
  /** Partitions without a leader (none of their in-sync replicas is available). */
  readonly offlinePartitions: number;
  readonly recordsIn: number;
  readonly bytesIn: number;
  readonly recordsOut: number;
  readonly bytesOut: number;
  readonly topics: Readonly<Record<string, TopicTraffic>>;
  /** Time the nodes took to answer requests, by API name (`Produce`, `Fetch`, `Metadata`, ...). */
  readonly requestLatencyMs: Readonly<Record<string, LatencySummary>>;
}

/** What `ClusterStats` reads of a broker's counts (a node in a worker sends a copy of them). @internal */
export type NodeStats = Pick<BrokerTopicStats, 'total' | 'topics' | 'requestLatency' | 'leaderElections'>;

/** Counts kept by a `Cluster` across node restarts. @internal */
export class ClusterStats {
  controllerElections = 0;
  private readonly retired = { total: zero(), topics: new Map<string, TrafficCounts>(), latency: new Map<string, LatencyHistogram>(), leaderElections: 0 };

  /** Keeps a stopping node's counts. */
  retire(stats: NodeStats): void {
    add(this.retired.total, stats.total);
    for (const [name, t] of stats.topics) add(topicOf(this.retired.topics, name), t);
    for (const [api, h] of stats.requestLatency) h.addTo(histogramOf(this.retired.latency, api));
    this.retired.leaderElections += stats.leaderElections;
  }

  snapshot(live: readonly NodeStats[], image: MetadataImage | undefined, nodes: { total: number; running: number; fenced: number; activeControllerId: number }): ClusterMetrics {
    const total = zero();
    const topics = new Map<string, TrafficCounts>();
    const latency = new Map<string, LatencyHistogram>();
    let leaderElections = this.retired.leaderElections;
    for (const s of [this.retiredAsStats(), ...live]) {
      add(total, s.total);
      for (const [name, t] of s.topics) add(topicOf(topics, name), t);
      for (const [api, h] of s.requestLatency) h.addTo(histogramOf(latency, api));
    }
    for (const s of live) leaderElections += s.leaderElections;
    let partitions = 0;
    let underReplicated = 0;
    let offline = 0;
    let topicCount = 0;
    image?.forEachTopic((t) => {
      topicCount++;
      for (const p of t.partitions) {
        partitions++;
        if (p.isr.length < p.replicas.length) underReplicated++;
        if (p.leader < 0) offline++;
      }
    });
    return {
      kind: 'cluster',
      nodes: nodes.total,
      runningNodes: nodes.running,
      fencedNodes: nodes.fenced,
      activeControllerId: nodes.activeControllerId,
      controllerElections: this.controllerElections,
      partitionLeaderElections: leaderElections,
      topicCount,
      partitions,
      underReplicatedPartitions: underReplicated,
      offlinePartitions: offline,
      ...total,
      topics: Object.fromEntries([...topics].sort(([a], [b]) => (a < b ? -1 : 1))),
      requestLatencyMs: Object.fromEntries([...latency].sort(([a], [b]) => (a < b ? -1 : 1)).map(([api, h]) => [api, h.summary()])),
    };
  }

  private retiredAsStats(): Pick<BrokerTopicStats, 'total' | 'topics' | 'requestLatency'> {
    return { total: this.retired.total, topics: this.retired.topics, requestLatency: this.retired.latency };
  }
}

function zero(): TrafficCounts {
  return { recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 };
}

function add(into: TrafficCounts, from: TrafficCounts): void {
  into.recordsIn += from.recordsIn;
  into.bytesIn += from.bytesIn;
  into.recordsOut += from.recordsOut;
  into.bytesOut += from.bytesOut;
}

function topicOf(map: Map<string, TrafficCounts>, name: string): TrafficCounts {
  let t = map.get(name);
  if (t === undefined) map.set(name, (t = zero()));
  return t;
}

function histogramOf(map: Map<string, LatencyHistogram>, api: string): LatencyHistogram {
  let h = map.get(api);
  if (h === undefined) map.set(api, (h = new LatencyHistogram()));
  return h;
}
