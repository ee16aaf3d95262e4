/**
 * The Prometheus text exposition format (version 0.0.4) for Tributary's metrics
 * snapshots: counters end in `_total`, latencies are histograms in seconds, per-topic
 * and per-partition values carry labels. Serve it from any HTTP handler.
 */
import { TributaryError } from '../util/errors.js';
import type { ConsumerMetrics, ProducerMetrics } from '../client/client-metrics.js';
import type { LatencySummary } from '../util/metrics.js';
import type { ClusterMetrics } from './cluster-metrics.js';

type Labels = Readonly<Record<string, string | number>>;

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Labels = {}): this {
    this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  histogram(name: string, s: LatencySummary, labels: Labels): this {
    for (const b of s.buckets) this.sample(`${name}_bucket`, b.count, { ...labels, le: b.leMs === Infinity ? '+Inf' : formatValue(b.leMs / 1000) });
    this.sample(`${name}_sum`, s.sumMs / 1000, labels);
    return this.sample(`${name}_count`, s.count, labels);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/**
 * Formats metrics snapshots (from `cluster.metrics()`, `producer.metrics()`,
 * `consumer.metrics()`, `group.metrics()`) as Prometheus text, names prefixed
 * `tributary_`. Pass several snapshots to expose them from one endpoint; a client's
 * series carry its `client_id` (and `group_id`) label.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { Cluster, prometheusText } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const server = createServer((req, res) => {
 *   res.setHeader('content-type', 'text/plain; version=0.0.4');
 *   res.end(prometheusText(cluster.metrics()));
 * });
 * const text = prometheusText(cluster.metrics());
 * console.log(text.includes('# TYPE tributary_records_in_total counter')); // true
 * server.close();
 * ```
 */
export function prometheusText(...snapshots: readonly (ClusterMetrics | ProducerMetrics | ConsumerMetrics)[]): string {
  snapshots.forEach((m, i) => {
    // A snapshot of another kind would be left out silently; null would be a TypeError inside.
    const kind = m !== null && typeof m === 'object' ? (m as { kind?: unknown }).kind : undefined;
    if (kind !== 'cluster' && kind !== 'producer' && kind !== 'consumer') {
      throw new TributaryError('INVALID_ARGUMENT', `prometheusText takes metrics() snapshots of a cluster, producer or consumer; argument ${i} is ${m === null ? 'null' : typeof m === 'object' ? 'an object without a known kind' : typeof m}`, { option: 'snapshots' });
    }
  });
  const out = new Exposition();
  const clusters = snapshots.filter((m): m is ClusterMetrics => m.kind === 'cluster');
  const producers = snapshots.filter((m): m is ProducerMetrics => m.kind === 'producer');
  const consumers = snapshots.filter((m): m is ConsumerMetrics => m.kind === 'consumer');
  for (const m of clusters) clusterText(out, m);
  if (producers.length > 0) producerText(out, producers);
  if (consumers.length > 0) consumerText(out, consumers);
  return out.text();
}

function producerText(out: Exposition, ms: readonly ProducerMetrics[]): void {
  const series = [
    ['tributary_producer_records_sent_total', 'counter', 'Records the cluster acknowledged.', 'recordsSent'],
    ['tributary_producer_bytes_sent_total', 'counter', 'Bytes of record batches the cluster acknowledged.', 'bytesSent'],
    ['tributary_producer_batch_errors_total', 'counter', 'Failed batch attempts (each retry that failed counts).', 'batchErrors'],
    ['tributary_producer_buffered_bytes', 'gauge', 'Bytes of records waiting in memory.', 'bufferedBytes'],
    ['tributary_producer_requests_in_flight', 'gauge', 'Produce requests sent and not yet answered.', 'requestsInFlight'],
  ] as const;
  for (const [name, type, help, key] of series) {
    out.family(name, type, help);
    for (const m of ms) out.sample(name, m[key], { client_id: m.clientId });
  }
  out.family('tributary_producer_request_latency_seconds', 'histogram', 'Time a Produce request took, acknowledgement included.');
  for (const m of ms) out.histogram('tributary_producer_request_latency_seconds', m.produceLatencyMs, { client_id: m.clientId });
}

function clusterText(out: Exposition, m: ClusterMetrics): void {
  const gauge = (name: string, help: string, value: number): void => void out.family(`tributary_${name}`, 'gauge', help).sample(`tributary_${name}`, value);
  const counter = (name: string, help: string, value: number): void => void out.family(`tributary_${name}_total`, 'counter', help).sample(`tributary_${name}_total`, value);
  gauge('nodes', 'Nodes in the cluster.', m.nodes);
  gauge('nodes_running', 'Nodes running.', m.runningNodes);
  gauge('nodes_fenced', 'Nodes fenced by the controller (not serving).', m.fencedNodes);
  gauge('active_controller_id', 'The node that is the active controller, or -1.', m.activeControllerId);
  counter('controller_elections', 'Times a node became the active controller.', m.controllerElections);
  counter('partition_leader_elections', 'Times a node became the leader of a partition.', m.partitionLeaderElections);
  gauge('topics', 'Topics.', m.topicCount);
  gauge('partitions', 'Partitions.', m.partitions);
  gauge('under_replicated_partitions', 'Partitions whose ISR is smaller than their replica set.', m.underReplicatedPartitions);
  gauge('offline_partitions', 'Partitions without a leader.', m.offlinePartitions);
  const traffic = [
    ['records_in', 'Records appended by partition leaders.', 'recordsIn'],
    ['bytes_in', 'Bytes of record batches appended by partition leaders.', 'bytesIn'],
    ['records_out', 'Records fetched by consumers.', 'recordsOut'],
    ['bytes_out', 'Bytes of record batches fetched by consumers.', 'bytesOut'],
  ] as const;
  for (const [name, help, key] of traffic) {
    out.family(`tributary_${name}_total`, 'counter', help).sample(`tributary_${name}_total`, m[key]);
    const perTopic = `tributary_topic_${name}_total`;
    out.family(perTopic, 'counter', `${help.slice(0, -1)}, by topic.`);
    for (const [topic, t] of Object.entries(m.topics)) out.sample(perTopic, t[key], { topic });
  }
  out.family('tributary_request_latency_seconds', 'histogram', 'Time the nodes took to answer requests, by API.');
  for (const [api, s] of Object.entries(m.requestLatencyMs)) out.histogram('tributary_request_latency_seconds', s, { api });
}

function consumerText(out: Exposition, ms: readonly ConsumerMetrics[]): void {
  const labels = (m: ConsumerMetrics): Labels => (m.groupId === undefined ? { client_id: m.clientId } : { client_id: m.clientId, group_id: m.groupId });
  out.family('tributary_consumer_records_consumed_total', 'counter', 'Records the consumer received.');
  for (const m of ms) out.sample('tributary_consumer_records_consumed_total', m.recordsConsumed, labels(m));
  out.family('tributary_consumer_bytes_consumed_total', 'counter', 'Bytes of record batches the consumer received.');
  for (const m of ms) out.sample('tributary_consumer_bytes_consumed_total', m.bytesConsumed, labels(m));
  out.family('tributary_consumer_lag', 'gauge', 'High watermark minus the consumer position, by partition.');
  for (const m of ms) for (const p of m.partitions) if (p.lag >= 0) out.sample('tributary_consumer_lag', p.lag, { ...labels(m), topic: p.topic, partition: p.partition });
  out.family('tributary_consumer_fetch_latency_seconds', 'histogram', 'Time a fetch took, long poll included.');
  for (const m of ms) out.histogram('tributary_consumer_fetch_latency_seconds', m.fetchLatencyMs, labels(m));
  out.family('tributary_consumer_rebalances_total', 'counter', 'Rebalances a consumer group member completed.');
  for (const m of ms) if (m.rebalances !== undefined) out.sample('tributary_consumer_rebalances_total', m.rebalances, labels(m));
}
