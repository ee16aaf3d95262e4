/**
 * Wire-protocol benchmark cases: `tsx bench/wire-cases.ts <case> [args]`, one JSON line.
 *
 * - `throughput <records>`: one 1-node cluster with a listener, and in turn, each on a
 *   topic of its own with 1 partition: the in-process `Producer` and `Consumer`; kcat
 *   producing `records` 100-byte records from a file and consuming them back; KafkaJS (in
 *   a child process, bench/wire-kafkajs.ts) doing the same. For each: records a second
 *   (wall time of the whole run of the client, start-up included), and the CPU this
 *   process (the cluster) spent per record; for the child clients also their own CPU.
 * - `latency <ratePerSec> <seconds>`: a kcat producer fed 128-byte lines (127-byte
 *   records, see below) at a fixed rate, a kcat consumer long-polling (unbuffered output); each line carries the
 *   `performance.now()` of its write to the producer's stdin, and the latency is the time
 *   the consumer's stdout gives it back, both read in this process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Cluster } from '../src/cluster.js';
import type { ProducerRecord } from '../src/client/producer.js';
import { peakRssMiB, percentile, report } from './lib.js';

const [caseName, ...args] = process.argv.slice(2) as [string, ...string[]];
const recordBytes = 100;
const kcat = 'kcat';

type WireCluster = Cluster & { readonly bootstrapServers: string };

async function startCluster(): Promise<WireCluster> {
  const start = Cluster.start as (o: object) => Promise<WireCluster>;
  return await start({ nodes: 1, listen: { port: 0 } });
}

const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;

/** Runs a shell command; resolves with wall ms, this process's CPU ms meanwhile, the children's CPU (bash `times`), and stdout. */
async function timed(script: string, timeoutMs = 300_000): Promise<{ wallMs: number; ourCpuMs: number; childCpuMs: number; stdout: string }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn('bash', ['-c', `set -o pipefail\n${script}\ntimes >&2`], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A client that never finishes fails the case instead of hanging the benchmark.
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  const wallMs = performance.now() - t0;
  const ourCpuMs = cpuMs(process.cpuUsage(c0));
  if (code !== 0) throw new Error(`${script} exited ${code}: ${stderr.slice(-2000)}`);
  // `times` prints the shell's user/sys, then its children's: "0m1.234s 0m0.567s".
  const lines = stderr.trim().split('\n');
  const children = lines[lines.length - 1]!.match(/(\d+)m([\d.]+)s/g) ?? [];
  const childCpuMs = children.map((t) => {
    const m = /(\d+)m([\d.]+)s/.exec(t)!;
    return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  }).reduce((a, b) => a + b, 0);
  return { wallMs, ourCpuMs, childCpuMs, stdout };
}

async function inProcess(cluster: Cluster, records: number): Promise<Record<string, number>> {
  const topic = 'inproc';
  await cluster.admin().createTopics([{ name: topic, partitions: 1 }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 1, batchSize: 512 * 1024, bufferMemory: 64 * 1024 * 1024 });
  const value = Buffer.alloc(recordBytes, 0x61);
  const call: ProducerRecord[] = Array.from({ length: 1000 }, () => ({ value }));
  let next = 0;
  let c0 = process.cpuUsage();
  let t0 = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < records) {
        next += 1000;
        await producer.send(topic, call);
      }
    }),
  );
  const produceMs = performance.now() - t0;
  const produceCpu = cpuMs(process.cpuUsage(c0));
  await producer.close();
  const consumer = cluster.consumer({ maxWaitMs: 500 });
  consumer.assign([{ topic, partition: 0 }]);
  c0 = process.cpuUsage();
  t0 = performance.now();
  await consumer.seek({ topic, partition: 0 }, 'earliest');
  let read = 0;
  for await (const batch of consumer.batches()) {
    read += batch.records.length;
    if (read >= records) break;
  }
  const consumeMs = performance.now() - t0;
  const consumeCpu = cpuMs(process.cpuUsage(c0));
  await consumer.close();
  return {
    inprocProduceRecordsPerSec: (records / produceMs) * 1000,
    inprocProduceCpuNsPerRecord: (produceCpu * 1e6) / records,
    inprocConsumeRecordsPerSec: (read / consumeMs) * 1000,
    inprocConsumeCpuNsPerRecord: (consumeCpu * 1e6) / read,
  };
}

/** kcat producing `records` lines from a file into `b`, then consuming them back; `prefix` names the figures. */
async function viaKcat(b: string, topic: string, records: number, dir: string, prefix = 'kcat'): Promise<Record<string, number>> {
  // 1,000,000 lines of 100 bytes: kcat's input, one record a line.
  const file = join(dir, 'records.txt');
  const fd = openSync(file, 'w');
  const line = Buffer.alloc(recordBytes + 1, 0x61);
  line[recordBytes] = 0x0a;
  const chunk = Buffer.concat(Array.from({ length: 10_000 }, () => line));
  for (let i = 0; i < records; i += 10_000) writeSync(fd, chunk, 0, Math.min(10_000, records - i) * line.length);
  closeSync(fd);
  // librdkafka's defaults but acks=1 (as the in-process producer), and a queue deep enough
  // that kcat never blocks on it.
  const produce = await timed(`${kcat} -b ${b} -P -t ${topic} -p 0 -X acks=1 -X linger.ms=5 -X queue.buffering.max.messages=1000000 -X queue.buffering.max.kbytes=1048576 < ${file}`);
  const consume = await timed(`${kcat} -b ${b} -C -t ${topic} -p 0 -o beginning -e -c ${records} -q | wc -l`);
  const consumed = Number(consume.stdout.trim());
  // librdkafka's mock keeps only the newest part of a partition (it drops old segments), so
  // against it the consume half reads what it retained.
  if (prefix !== 'mock' ? consumed !== records : consumed < 10_000) throw new Error(`kcat consumed ${consumed} records, not ${records}`);
  return {
    [`${prefix}ProduceRecordsPerSec`]: (records / produce.wallMs) * 1000,
    [`${prefix}ProduceBrokerCpuNsPerRecord`]: (produce.ourCpuMs * 1e6) / records,
    [`${prefix}ProduceClientCpuNsPerRecord`]: (produce.childCpuMs * 1e6) / records,
    [`${prefix}ConsumeRecords`]: consumed,
    [`${prefix}ConsumeRecordsPerSec`]: (consumed / consume.wallMs) * 1000,
    [`${prefix}ConsumeBrokerCpuNsPerRecord`]: (consume.ourCpuMs * 1e6) / consumed,
    [`${prefix}ConsumeClientCpuNsPerRecord`]: (consume.childCpuMs * 1e6) / consumed,
  };
}

async function viaKafkajs(cluster: WireCluster, records: number): Promise<Record<string, number>> {
  const topic = 'kafkajs';
  await cluster.admin().createTopics([{ name: topic, partitions: 1 }]);
  const script = fileURLToPath(new URL('./wire-kafkajs.ts', import.meta.url));
  const r = await timed(`${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(script)} ${cluster.bootstrapServers} ${topic} ${records}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { produceMs: number; consumeMs: number; consumed: number };
  if (out.consumed !== records) throw new Error(`KafkaJS consumed ${out.consumed}, not ${records}`);
  return {
    kafkajsProduceRecordsPerSec: (records / out.produceMs) * 1000,
    kafkajsConsumeRecordsPerSec: (records / out.consumeMs) * 1000,
    // For the whole child run (produce and consume together): this process, and KafkaJS's.
    kafkajsBrokerCpuNsPerRecord: (r.ourCpuMs * 1e6) / (2 * records),
    kafkajsClientCpuNsPerRecord: (r.childCpuMs * 1e6) / (2 * records),
  };
}

async function throughput(): Promise<void> {
  const records = Number(args[0] ?? 1_000_000);
  const only = args[1];
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-wire-'));
  const cluster = await startCluster();
  try {
    const result: Record<string, number | string> = { name: 'wire-throughput', records };
    if (!only || only === 'inproc') Object.assign(result, await inProcess(cluster, records));
    if (!only || only === 'kcat') {
      await cluster.admin().createTopics([{ name: 'kcat', partitions: 1 }]);
      Object.assign(result, await viaKcat(cluster.bootstrapServers, 'kcat', records, dir));
      const [end] = await cluster.admin().listOffsets('kcat', 'latest');
      if (end!.offset !== records) throw new Error(`kcat produced ${end!.offset} records, not ${records}`);
    }
    if (!only || only === 'mock') {
      // The peer: the same kcat runs against librdkafka's own mock broker (C, in memory,
      // one python process), on the same machine at the same moment. Its figures are the
      // client's ceiling here; the broker CPU of this process is not involved.
      const mock = await startMock();
      try {
        Object.assign(result, await viaKcat(mock.bootstrapServers, 'mock', records, dir, 'mock'));
      } finally {
        await mock.close();
      }
    }
    if (!only || only === 'kafkajs') Object.assign(result, await viaKafkajs(cluster, records));
    result.peakRssMiB = peakRssMiB();
    result.loadAverage1m = loadavg()[0]!;
    report(result);
  } finally {
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function latency(): Promise<void> {
  const rate = Number(args[0] ?? 10_000);
  const seconds = Number(args[1] ?? 5);
  const cluster = await startCluster();
  const topic = 'latency';
  await cluster.admin().createTopics([{ name: topic, partitions: 1 }]);
  const b = cluster.bootstrapServers;
  const consumer = spawn(kcat, ['-b', b, '-C', '-t', topic, '-p', '0', '-o', 'end', '-u', '-X', 'fetch.wait.max.ms=500', '-X', 'fetch.min.bytes=1', '-X', 'fetch.error.backoff.ms=0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const producer = spawn(kcat, ['-b', b, '-P', '-t', topic, '-p', '0', '-X', 'acks=1', '-X', 'linger.ms=0'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const warmupMs = 1000;
  const total = Math.round((rate * (seconds * 1000 + warmupMs)) / 1000);
  const latencies: number[] = [];
  let received = 0;
  let sent = 0;
  let pending = '';
  const done = new Promise<void>((resolve, reject) => {
    consumer.on('close', (code, signal) => reject(new Error(`the kcat consumer exited (${code ?? signal}) after ${received} records`)));
    producer.on('close', (code, signal) => {
      if (sent < total) reject(new Error(`the kcat producer exited (${code ?? signal}) after ${sent} records`));
    });
    consumer.stdout.on('data', (d: Buffer) => {
      const now = performance.now();
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) {
        const sentAt = Number(l.split(' ')[0]);
        if (received >= (rate * warmupMs) / 1000) latencies.push(now - sentAt);
        received++;
      }
      if (received >= total) resolve();
    });
  });
  // Give the consumer time to connect and reach the end before the first record.
  await new Promise((r) => setTimeout(r, 2000));
  // kcat reads its input 128 bytes at a time with fread, which blocks until it has all 128,
  // and reads again before it looks for the next delimiter (kcat input.c,
  // inbuf_read_to_delimeter): a line reaches librdkafka only once 128 bytes after its
  // start have arrived. Lines of exactly 128 bytes (127-byte records) make each fread end
  // on a line's end, so no record waits for the next one. The stamp is padded to 127.
  const line = (): string => {
    const stamp = `${performance.now().toFixed(3)} `;
    return `${stamp}${'x'.repeat(127 - stamp.length)}\n`;
  };
  const t0 = performance.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  setTimeout(() => loopDelay.enable(), warmupMs);
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      let chunk = '';
      while (sent < due) {
        chunk += line();
        sent++;
      }
      if (chunk) producer.stdin.write(chunk);
      if (sent >= total) resolve();
      else setTimeout(tick, 0);
    };
    tick();
  });
  // End of input: kcat produces whatever it still holds.
  producer.stdin.end();
  const timeout = setTimeout(() => consumer.kill('SIGKILL'), 60_000);
  try {
    await done;
  } catch (err) {
    const [end] = await cluster.admin().listOffsets(topic, 'latest');
    throw new Error(`${String(err)}; ${sent} written to the producer, the log ends at ${end!.offset}`);
  }
  clearTimeout(timeout);
  const elapsedS = (performance.now() - t0) / 1000;
  loopDelay.disable();
  const exited = (c: typeof consumer | typeof producer): Promise<unknown> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.on('close', r)));
  consumer.kill('SIGTERM');
  await Promise.all([exited(consumer), exited(producer)]);
  await cluster.close();
  latencies.sort((a, x) => a - x);
  report({
    name: 'wire-latency',
    rate,
    achievedRate: sent / elapsedS,
    samples: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    p999Ms: percentile(latencies, 99.9),
    maxMs: latencies[latencies.length - 1]!,
    loopDelayP50Ms: loopDelay.percentile(50) / 1e6,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loadAverage1m: loadavg()[0]!,
    peakRssMiB: peakRssMiB(),
  });
}

/** librdkafka's mock cluster (1 broker), started by test/wire/py/mock_cluster.py with /usr/bin/python3. */
async function startMock(): Promise<{ bootstrapServers: string; close(): Promise<void> }> {
  const script = fileURLToPath(new URL('../test/wire/py/mock_cluster.py', import.meta.url));
  const child = spawn('/usr/bin/python3', [script, '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const servers = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the mock cluster did not start in 60 s')), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /bootstrap\.servers=(\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.on('close', () => reject(new Error(`the mock cluster exited: ${out}`)));
  });
  return {
    bootstrapServers: servers,
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.on('close', r));
    },
  };
}

const cases: Record<string, () => Promise<void>> = { throughput, latency };
const run = cases[caseName];
if (!run) throw new Error(`unknown case ${caseName}`);
await run();
