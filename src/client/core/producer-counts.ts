/**
 * A producer's counters, kept by the sender core as answers come in; `producer.metrics()`
 * reads them (`ProducerMetrics` in `../client-metrics.ts`). @internal
 */
import { LatencyHistogram, type LatencySummary } from '../../util/metrics.js';

export class ProducerCounts {
  records = 0;
  bytes = 0;
  errors = 0;
  readonly latency = new LatencyHistogram();

  sent(records: number, bytes: number): void {
    this.records += records;
    this.bytes += bytes;
  }

  /** The figures of `ProducerMetrics` (which `client-metrics.ts` describes for users). */
  snapshot(clientId: string, bufferedBytes: number, requestsInFlight: number): { readonly kind: 'producer'; readonly clientId: string; readonly recordsSent: number; readonly bytesSent: number; readonly batchErrors: number; readonly produceLatencyMs: LatencySummary; readonly bufferedBytes: number; readonly requestsInFlight: number } {
    return { kind: 'producer', clientId, recordsSent: this.records, bytesSent: this.bytes, batchErrors: this.errors, produceLatencyMs: this.latency.summary(), bufferedBytes, requestsInFlight };
  }
}
