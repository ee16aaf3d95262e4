/**
 * Metric primitives shared by the broker and the clients: a latency histogram with
 * fixed buckets (Prometheus-style, cumulative on export) and its summary.
 *
 * Why fixed buckets: recording is one comparison loop and two additions, with no
 * allocation, so every request can be timed; percentiles are estimated within a bucket
 * (linear interpolation), which is what a Prometheus `histogram_quantile` does too.
 * Example: 900 requests under 1 ms and 100 between 1 and 2.5 ms give p50 about 0.56 ms
 * (the 500th of 900 spread over 0 to 1 ms) and p99 about 2.35 ms.
 */

/** Upper bounds of the latency buckets, in milliseconds (the last bucket is +Inf). */
export const latencyBucketsMs: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

/**
 * Request latencies as counted so far: how many, their sum, estimated percentiles, the
 * largest, and the cumulative count at or below each bucket's upper bound.
 *
 * @example
 * ```ts
 * import { Cluster, type LatencySummary } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * await cluster.producer().send('events', [{ value: 'x' }]);
 * const produce: LatencySummary | undefined = cluster.metrics().requestLatencyMs.Produce;
 * console.log(produce!.count >= 1, produce!.p99Ms >= produce!.p50Ms); // true true
 * ```
 */
export interface LatencySummary {
  readonly count: number;
  readonly sumMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Cumulative: `count` is how many took at most `leMs` (the last bucket is `Infinity`). */
  readonly buckets: readonly { readonly leMs: number; readonly count: number }[];
}

/** A latency histogram over `latencyBucketsMs`. @internal */
export class LatencyHistogram {
  private readonly counts = new Float64Array(latencyBucketsMs.length + 1);
  private total = 0;
  private sum = 0;
  private max = 0;

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    let i = 0;
    while (i < latencyBucketsMs.length && v > latencyBucketsMs[i]!) i++;
    this.counts[i]!++;
    this.total++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  /** Adds this histogram's counts into `into` (merging nodes' histograms). */
  addTo(into: LatencyHistogram): void {
    for (let i = 0; i < this.counts.length; i++) into.counts[i]! += this.counts[i]!;
    into.total += this.total;
    into.sum += this.sum;
    if (this.max > into.max) into.max = this.max;
  }

  summary(): LatencySummary {
    const buckets: { leMs: number; count: number }[] = [];
    let cumulative = 0;
    for (let i = 0; i <= latencyBucketsMs.length; i++) {
      cumulative += this.counts[i]!;
      buckets.push({ leMs: latencyBucketsMs[i] ?? Infinity, count: cumulative });
    }
    return { count: this.total, sumMs: this.sum, p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99), maxMs: this.max, buckets };
  }

  /** The `q` quantile, interpolated within its bucket (and never above the largest value seen). */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rankWanted = q * this.total;
    let below = 0;
    for (let i = 0; i <= latencyBucketsMs.length; i++) {
      const c = this.counts[i]!;
      if (c > 0 && below + c >= rankWanted) {
        const lower = i === 0 ? 0 : latencyBucketsMs[i - 1]!;
        const upper = Math.min(latencyBucketsMs[i] ?? this.max, this.max);
        return Math.min(this.max, lower + (Math.max(0, upper - lower) * (rankWanted - below)) / c);
      }
      below += c;
    }
    return this.max;
  }
}
