import { fmt, runCase, table } from './lib.js';

/**
 * Tributary's clients over TCP (issue 12): its Producer through `connect()` to a
 * `tributary serve` child process vs KafkaJS to the same server (target: at least 2x
 * KafkaJS) and vs the in-process Producer; its Consumer over TCP vs a KafkaJS consumer
 * reading the same records and vs the in-process Consumer. CPU per record counts the bench
 * process and the `serve` child together.
 * 100-byte records, calls of 1,000, 32 in flight, acks=1, Tributary's producers with a
 * 128 KiB batchSize (one batch per call, as KafkaJS sends it).
 */
export async function remoteBench(records = 200_000): Promise<string> {
  const r = await runCase('./remote-cases.ts', [String(records)]);
  const n = (k: string): number => r[k] as number;
  const tcp = n('tcpProduceRecordsPerSec');
  const kjs = n('kafkajsProduceRecordsPerSec');
  const inP = n('inprocProduceRecordsPerSec');
  const cpu = (k: string): string => `${fmt(n(k), 2)} µs`;
  const tcpC = n('tcpConsumeRecordsPerSec');
  const kjsC = n('kafkajsConsumeRecordsPerSec');
  const inC = n('inprocConsumeRecordsPerSec');
  const rows = [
    ['Producer over TCP (connect()) to tributary serve', `${fmt(tcp)} rec/s`, `${fmt(tcp / kjs, 2)}x KafkaJS (target >= 2: ${tcp / kjs >= 2 ? 'met' : 'MISSED'})`, `${fmt(tcp / inP, 2)} of in-process`, cpu('tcpProduceCpuUsPerRecord')],
    ['KafkaJS producer to the same server', `${fmt(kjs)} rec/s`, '1.00', `${fmt(kjs / inP, 2)} of in-process`, cpu('kafkajsProduceCpuUsPerRecord')],
    ['in-process Producer, in-process cluster', `${fmt(inP)} rec/s`, '', '1.00', cpu('inprocProduceCpuUsPerRecord')],
    ['Consumer over TCP, from earliest', `${fmt(tcpC)} rec/s`, `${fmt(tcpC / kjsC, 2)}x KafkaJS (target >= 2: ${tcpC / kjsC >= 2 ? 'met' : 'MISSED'})`, `${fmt(tcpC / inC, 2)} of in-process`, cpu('tcpConsumeCpuUsPerRecord')],
    ['KafkaJS consumer (group, timed from its first batch), the same records', `${fmt(kjsC)} rec/s`, '1.00', `${fmt(kjsC / inC, 2)} of in-process`, cpu('kafkajsConsumeCpuUsPerRecord')],
    ['in-process Consumer, from earliest', `${fmt(inC)} rec/s`, '', '1.00', cpu('inprocConsumeCpuUsPerRecord')],
  ];
  return `## Remote clients (${fmt(records)} records of 100 bytes, one run)\n\n${table(['case', 'rate', 'vs KafkaJS', 'vs in-process', 'CPU per record (client + server)'], rows)}\n`;
}
