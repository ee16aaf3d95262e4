import { fmt, runCase, table } from './lib.js';

const cases = './wire-cases.ts';
const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/**
 * The Kafka wire protocol (issue 10's targets), 100-byte records, in one run on one
 * 1-node cluster with a listener: the in-process `Producer` and `Consumer` as the
 * baseline, kcat (librdkafka 2.0.2) and KafkaJS producing 1,000,000 records and reading
 * them back over TCP, and end-to-end latency from a kcat producer to a kcat consumer at
 * 10,000 records a second.
 */
export async function wireBench(): Promise<string> {
  const t = await runCase(cases, ['throughput', '1000000']);
  const l = await runCase(cases, ['latency', '10000', '5']);
  const n = (k: string): number => t[k] as number;
  const inP = n('inprocProduceRecordsPerSec');
  const inC = n('inprocConsumeRecordsPerSec');
  const rows: (string | number)[][] = [
    ['in-process Producer, acks=1, calls of 1,000, 32 in flight', `${fmt(inP)} rec/s, ${fmt(n('inprocProduceCpuNsPerRecord'))} ns CPU/rec (client + broker)`, '1.00', '', ''],
    ['in-process Consumer, from earliest', `${fmt(inC)} rec/s, ${fmt(n('inprocConsumeCpuNsPerRecord'))} ns CPU/rec (client + broker)`, '1.00', '', ''],
    [
      'kcat -P, acks=1, librdkafka defaults (linger 5 ms), 1,000,000 lines from a file',
      `${fmt(n('kcatProduceRecordsPerSec'))} rec/s; broker ${fmt(n('kcatProduceBrokerCpuNsPerRecord'))} ns CPU/rec, kcat ${fmt(n('kcatProduceClientCpuNsPerRecord'))} ns CPU/rec`,
      `${fmt(n('kcatProduceRecordsPerSec') / inP, 2)} of in-process`,
      `>= 1,000,000 rec/s: ${met(n('kcatProduceRecordsPerSec') >= 1_000_000)}`,
      '',
    ],
    [
      'kcat -C from the beginning, -e, output to wc -l',
      `${fmt(n('kcatConsumeRecordsPerSec'))} rec/s; broker ${fmt(n('kcatConsumeBrokerCpuNsPerRecord'))} ns CPU/rec, kcat ${fmt(n('kcatConsumeClientCpuNsPerRecord'))} ns CPU/rec`,
      `${fmt(n('kcatConsumeRecordsPerSec') / inC, 2)} of in-process`,
      `>= 2,000,000 rec/s: ${met(n('kcatConsumeRecordsPerSec') >= 2_000_000)}`,
      '',
    ],
    [
      'peer: the same kcat -P into librdkafka\'s mock broker (C, in memory)',
      `${fmt(n('mockProduceRecordsPerSec'))} rec/s; kcat ${fmt(n('mockProduceClientCpuNsPerRecord'))} ns CPU/rec`,
      `Tributary ${fmt(n('kcatProduceRecordsPerSec') / n('mockProduceRecordsPerSec'), 2)} of it`,
      '',
      '',
    ],
    [
      `peer: the same kcat -C from librdkafka's mock broker (it keeps only the newest ${fmt(n('mockConsumeRecords'))} records)`,
      `${fmt(n('mockConsumeRecordsPerSec'))} rec/s; kcat ${fmt(n('mockConsumeClientCpuNsPerRecord'))} ns CPU/rec`,
      `Tributary ${fmt(n('kcatConsumeRecordsPerSec') / n('mockConsumeRecordsPerSec'), 2)} of it`,
      '',
      '',
    ],
    ['KafkaJS producer, acks=1, calls of 1,000, 32 in flight (own process)', `${fmt(n('kafkajsProduceRecordsPerSec'))} rec/s`, `${fmt(n('kafkajsProduceRecordsPerSec') / inP, 2)} of in-process`, '', ''],
    [
      'KafkaJS consumer group from the beginning (join included)',
      `${fmt(n('kafkajsConsumeRecordsPerSec'))} rec/s; produce + consume: broker ${fmt(n('kafkajsBrokerCpuNsPerRecord'))} ns CPU/rec, KafkaJS ${fmt(n('kafkajsClientCpuNsPerRecord'))} ns CPU/rec`,
      `${fmt(n('kafkajsConsumeRecordsPerSec') / inC, 2)} of in-process`,
      '',
      '',
    ],
    [
      `end-to-end latency kcat → kcat, acks=1, linger 0, ${fmt(l.rate as number)} rec/s (${fmt(l.samples as number)} samples)`,
      `p50 ${fmt(l.p50Ms as number, 2)} ms, p99 ${fmt(l.p99Ms as number, 2)} ms, p99.9 ${fmt(l.p999Ms as number, 2)} ms, max ${fmt(l.maxMs as number, 1)} ms`,
      `event loop delay meanwhile: p50 ${fmt(l.loopDelayP50Ms as number, 2)} ms, p99 ${fmt(l.loopDelayP99Ms as number, 2)} ms`,
      `p99 < 2 ms: ${met((l.p99Ms as number) < 2)}`,
      l.peakRssMiB as number,
    ],
  ];
  rows[0]![4] = t.peakRssMiB as number;
  const intro =
    `One process holds the cluster (1 node, listener on 127.0.0.1) and the in-process clients; kcat (Debian 1.7.1, librdkafka 2.0.2) and KafkaJS 2.2.4 run as child processes. Each client gets its own topic of 1 partition. Rates are wall time over the whole client run (connection and metadata included); broker CPU is this process over that run (process.cpuUsage), client CPU is the child\'s (bash \`times\`). Latency: lines written to the kcat producer\'s stdin at a fixed rate, each stamped with performance.now(), read back from an unbuffered kcat consumer\'s stdout in the same process; 1 s of warm-up is not counted; the lines are 128 bytes (127-byte records), because kcat reads its input 128 bytes at a time and holds a shorter line until more input comes. 1-minute load average of this shared 2-core machine: ${fmt(t.loadAverage1m as number, 1)} during the throughput cases, ${fmt(l.loadAverage1m as number, 1)} during the latency case.`;
  return `## Wire protocol (100-byte records)\n\n${intro}\n\n${table(['case', 'figure', 'ratio', 'target', 'peak RSS MiB'], rows)}\n`;
}
