/**
 * The remote-client benchmark's measurements, in their own process (`runCase`):
 * `tsx bench/remote-cases.ts <records>`. A `tributary serve --nodes 1` child process is the
 * broker; this process runs the clients, one after another, each producing `records`
 * 100-byte records (calls of 1,000, 32 in flight, acks=1) to its own topic:
 * Tributary's Producer over TCP (`connect()`), KafkaJS, and Tributary's in-process Producer
 * on an in-process cluster (the ceiling). Then Tributary's Consumer reads its topic back
 * over TCP, and the in-process Consumer its own. Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Cluster, connect, type Consumer, type Producer } from '../src/index.js';
import { report } from './lib.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const records = Number(process.argv[2] ?? '200000');
const call = 1000;
const inFlight = 32;
const value = Buffer.alloc(100, 0x61);

async function serve(): Promise<{ bootstrap: string; stop: () => Promise<void> }> {
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
  {
    await using remote = connect({ bootstrapServers: server.bootstrap, clientId: 'bench' });
    await remote.admin().createTopics([{ name: 'tcp' }, { name: 'kafkajs' }]);
    const producer = remote.producer({ acks: 1, lingerMs: 0 });
    await producer.send('tcp', [{ value }]); // connect and learn metadata before timing
    result.tcpProduceRecordsPerSec = await tributaryProduce(producer, 'tcp');
    await producer.close();
    result.tcpConsumeRecordsPerSec = await consumeAll(remote.consumer(), 'tcp');
  }
  {
    const kafka = new Kafka({ clientId: 'bench', brokers: server.bootstrap.split(','), logLevel: logLevel.NOTHING, requestTimeout: 60_000 });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const messages = Array.from({ length: call }, () => ({ value }));
    await producer.send({ topic: 'kafkajs', acks: 1, messages: [{ value }] });
    result.kafkajsProduceRecordsPerSec = await produceWith(() => producer.send({ topic: 'kafkajs', acks: 1, messages }));
    await producer.disconnect();
  }
  {
    await using cluster = await Cluster.start({ nodes: 1 });
    await cluster.admin().createTopics([{ name: 'inproc' }]);
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    await producer.send('inproc', [{ value }]);
    result.inprocProduceRecordsPerSec = await tributaryProduce(producer, 'inproc');
    await producer.close();
    result.inprocConsumeRecordsPerSec = await consumeAll(cluster.consumer(), 'inproc');
  }
} finally {
  await server.stop();
}
report(result);
