/**
 * The remote-client benchmark's measurements, in their own process (`runCase`):
 * `tsx bench/remote-cases.ts <records>`. A `tributary serve --nodes 1` child process is the
 * broker; this process runs the clients, one after another, each producing `records`
 * 100-byte records (calls of 1,000, 32 in flight, acks=1; Tributary's producers with a
 * 128 KiB `batchSize`, one batch per call as KafkaJS sends it) to its own topic:
 * Tributary's Producer over TCP (`connect()`), KafkaJS, and Tributary's in-process Producer
 * on an in-process cluster (the ceiling). Then the same records are read back: the topic
 * Tributary's Producer wrote by Tributary's Consumer over TCP and by a KafkaJS consumer,
 * and the in-process topic by the in-process Consumer. Every phase also reports the CPU it
 * cost per record, this process and the `serve` child together (the child's from
 * `/proc/<pid>/stat`, 10 ms ticks). Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Cluster, connect, type Consumer, type Producer } from '../src/index.js';
import { report } from './lib.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const records = Number(process.argv[2] ?? '200000');
const call = 1000;
const inFlight = 32;
const value = Buffer.alloc(100, 0x61);
/**
 * Tributary's producers (over TCP and in-process alike) batch up to 128 KiB, so that one call
 * of 1,000 records goes out as one batch, as KafkaJS sends each call. With Kafka's default
 * `batch.size` of 16 KiB a call is seven requests, at most 5 in flight per connection, and
 * the TCP producer waits on round trips: 72,681 rec/s against 277,227 with 256 KiB in one
 * trial run at load 28 (KafkaJS: 49,568).
 */
const producerOptions = { acks: 1, lingerMs: 0, batchSize: 131_072 } as const;

/** CPU time (user + system, in ms) this process and `pid` have used so far. */
function cpuMs(pid: number | undefined): number {
  const own = process.cpuUsage();
  let child = 0;
  if (pid !== undefined) {
    try {
      // Fields 14 and 15 (utime, stime) in clock ticks; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      child = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      child = NaN; // not Linux: the figure is left out
    }
  }
  return (own.user + own.system) / 1000 + child;
}

/** Runs `phase`, returning its rate and the CPU it cost per record (µs), server included. */
async function measured(pid: number | undefined, phase: () => Promise<number>): Promise<[number, number]> {
  const c0 = cpuMs(pid);
  const rate = await phase();
  return [rate, ((cpuMs(pid) - c0) * 1000) / records];
}

async function serve(): Promise<{ bootstrap: string; pid: number | undefined; stop: () => Promise<void> }> {
  const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--nodes', '1', '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /bootstrap\.servers=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`tributary serve exited ${code}`)));
  });
  return {
    bootstrap,
    pid: child.pid,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function produceWith(send: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < records) {
        next += call;
        await send();
      }
    }),
  );
  return (records / (performance.now() - t0)) * 1000;
}

function tributaryProduce(producer: Producer, topic: string): Promise<number> {
  const batch = Array.from({ length: call }, () => ({ value }));
  return produceWith(() => producer.send(topic, batch));
}

async function consumeAll(consumer: Consumer, topic: string): Promise<number> {
  consumer.assign([{ topic, partition: 0 }]);
  await consumer.seek({ topic, partition: 0 }, 'earliest');
  const t0 = performance.now();
  let n = 0;
  for await (const _ of consumer) if (++n >= records) break;
  return (records / (performance.now() - t0)) * 1000;
}

const server = await serve();
const result: Record<string, number> = { records };
try {
  const pid = server.pid;
  {
    await using remote = connect({ bootstrapServers: server.bootstrap, clientId: 'bench' });
    await remote.admin().createTopics([{ name: 'tcp' }, { name: 'kafkajs' }]);
    const producer = remote.producer(producerOptions);
    await producer.send('tcp', [{ value }]); // connect and learn metadata before timing
    [result.tcpProduceRecordsPerSec, result.tcpProduceCpuUsPerRecord] = await measured(pid, () => tributaryProduce(producer, 'tcp'));
    await producer.close();
    [result.tcpConsumeRecordsPerSec, result.tcpConsumeCpuUsPerRecord] = await measured(pid, () => consumeAll(remote.consumer(), 'tcp'));
  }
  const kafka = new Kafka({ clientId: 'bench', brokers: server.bootstrap.split(','), logLevel: logLevel.NOTHING, requestTimeout: 60_000 });
  {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const messages = Array.from({ length: call }, () => ({ value }));
    await producer.send({ topic: 'kafkajs', acks: 1, messages: [{ value }] });
    [result.kafkajsProduceRecordsPerSec, result.kafkajsProduceCpuUsPerRecord] = await measured(pid, () => produceWith(() => producer.send({ topic: 'kafkajs', acks: 1, messages })));
    await producer.disconnect();
  }
  {
    // The same records Tributary's Consumer read ('tcp'). KafkaJS has no group-less consumer,
    // so it joins a group; the clock and the CPU count start at its first batch, after the join.
    const consumer = kafka.consumer({ groupId: 'bench-kafkajs', maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'tcp', fromBeginning: true });
    let n = 0;
    let t0 = 0;
    let c0 = 0;
    const total = records + 1; // the warm-up record too
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (n === 0) {
            t0 = performance.now();
            c0 = cpuMs(pid);
          }
          n += batch.messages.length;
          if (n >= total) resolve();
        },
      });
    });
    await done;
    result.kafkajsConsumeRecordsPerSec = (n / (performance.now() - t0)) * 1000;
    result.kafkajsConsumeCpuUsPerRecord = ((cpuMs(pid) - c0) * 1000) / n;
    await consumer.disconnect();
  }
  {
    await using cluster = await Cluster.start({ nodes: 1 });
    await cluster.admin().createTopics([{ name: 'inproc' }]);
    const producer = cluster.producer(producerOptions);
    await producer.send('inproc', [{ value }]);
    [result.inprocProduceRecordsPerSec, result.inprocProduceCpuUsPerRecord] = await measured(undefined, () => tributaryProduce(producer, 'inproc'));
    await producer.close();
    [result.inprocConsumeRecordsPerSec, result.inprocConsumeCpuUsPerRecord] = await measured(undefined, () => consumeAll(cluster.consumer(), 'inproc'));
  }
} finally {
  await server.stop();
}
report(result);
