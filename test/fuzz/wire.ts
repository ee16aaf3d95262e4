/**
 * Wire fuzzing: hostile bytes into a live listener, while honest clients keep using it.
 *
 * `npx tsx --expose-gc test/fuzz/wire.ts [--frames N] [--seed S] [--connections C]`
 * (a short run is in `npm test`, test/fuzz/wire.test.ts).
 *
 * What goes in, on a pool of fuzz connections (each reopened when the broker closes it):
 * - valid frames captured from librdkafka (test/fixtures/wire/captured/), mutated: bit
 *   flips, random bytes, inserted and deleted bytes, truncation, int16/int32 fields set to
 *   extremes (array and string lengths), unknown API keys and versions;
 * - random bytes of random length;
 * - size prefixes that lie: longer than what follows (then the connection stops
 *   mid-frame), near 2^31, negative;
 * - a valid frame delivered a byte at a time, and several pipelined in one write;
 * - a thousand connections at once, some silent, some stopping mid-frame.
 *
 * Pass means:
 * - the process never crashes (no uncaught exception or unhandled rejection) or hangs:
 *   every few hundred frames a fresh connection's ApiVersions is answered, and KafkaJS
 *   (an honest client on its own connections) produces and reads metadata;
 * - memory returns to its baseline after the connections close (heap after GC);
 * - nothing invalid reaches a log: every line the listener logs is short, printable text
 *   (no raw bytes from the wire, no stack traces).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Cluster } from '../../src/cluster.js';
import { Rng } from '../../src/util/rng.js';
import type { Request } from '../../src/protocol/requests.js';
import { sampleRequests } from '../../src/protocol/samples.js';
import { encodeRequest, servedApiVersions } from '../../src/protocol/wire/codec.js';
import { RawConnection, answersApiVersions, apiVersionsV0, metadataV1, requestMessage, sized } from '../wire/helpers/raw-client.js';

export interface WireFuzzOptions {
  readonly frames: number;
  readonly seed: number;
  /** Concurrent connections in the thousand-connections phase. */
  readonly connections: number;
  /** Fuzz connections used in parallel. */
  readonly pool?: number;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
  /** Mutate only the seed frames of these API keys (default: every captured frame). */
  readonly apiKeys?: readonly number[];
}

export interface WireFuzzReport {
  readonly seed: number;
  readonly frames: number;
  readonly bytesSent: number;
  /** Answers the fuzz connections got, and how often the broker closed one on them. */
  readonly answers: number;
  readonly closedByBroker: number;
  readonly probes: number;
  readonly honestOperations: number;
  readonly heapBaselineMiB: number;
  readonly heapAfterMiB: number;
  readonly logLines: number;
  /** Everything that went wrong; empty means pass. */
  readonly failures: string[];
}

const capturedRoot = fileURLToPath(new URL('../fixtures/wire/captured/', import.meta.url));

/** Every captured request frame (messages without their size prefix). */
export function seedFrames(): Buffer[] {
  const out: Buffer[] = [];
  if (existsSync(capturedRoot)) {
    for (const dir of readdirSync(capturedRoot)) {
      const manifest = `${capturedRoot}${dir}/manifest.json`;
      if (!existsSync(manifest)) continue;
      for (const e of JSON.parse(readFileSync(manifest, 'utf8')) as { file: string; direction: string }[]) {
        if (e.direction === 'request') out.push(readFileSync(`${capturedRoot}${dir}/${e.file}`));
      }
    }
  }
  out.push(apiVersionsV0(1).subarray(4), metadataV1(2).subarray(4));
  // An API no client here writes (DescribeLogDirs, ...): its sample request in Tributary's
  // own encoding, at its lowest and highest served versions, so it is fuzzed too.
  const captured = new Set(out.map((m) => m.readInt16BE(0)));
  for (const a of servedApiVersions) {
    if (captured.has(a.apiKey)) continue;
    for (const v of new Set([a.minVersion, a.maxVersion])) {
      out.push(Buffer.from(encodeRequest(sampleRequests[a.apiKey] as Request, { apiVersion: v, correlationId: 3, clientId: 'fuzz-seed' }).subarray(4)));
    }
  }
  return out;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc ?? (setFlagsFromString('--expose-gc'), runInNewContext('gc') as () => void);
  for (let i = 0; i < 3; i++) g();
}

const heapMiB = (): number => process.memoryUsage().heapUsed / 2 ** 20;

/** One mutated or random message (without a size prefix). */
function mutate(rng: Rng, seeds: readonly Buffer[]): Buffer {
  const pick = rng.int(10);
  if (pick === 0) return Buffer.from(rng.bytes(rng.int(512)));
  const m = Buffer.from(seeds[rng.int(seeds.length)]!);
  const edits = 1 + rng.int(4);
  let out = m;
  for (let e = 0; e < edits; e++) {
    if (out.length === 0) break;
    switch (rng.int(8)) {
      case 0: {
        // Bit flips.
        const at = rng.int(out.length);
        out[at] = out[at]! ^ (1 << rng.int(8));
        break;
      }
      case 1:
        out[rng.int(out.length)] = rng.int(256);
        break;
      case 2: {
        // Truncate.
        out = out.subarray(0, rng.int(out.length));
        break;
      }
      case 3: {
        // Insert random bytes.
        const at = rng.int(out.length);
        out = Buffer.concat([out.subarray(0, at), Buffer.from(rng.bytes(1 + rng.int(16))), out.subarray(at)]);
        break;
      }
      case 4: {
        // An int32 (array, bytes or record-batch length) set to an extreme.
        if (out.length < 4) break;
        const at = rng.int(out.length - 3);
        const extremes = [-1, -2, 0x7fffffff, 0x7ffffff0, -0x80000000, 0x01000000, 0xffff];
        out.writeInt32BE(extremes[rng.int(extremes.length)]! | 0, at);
        break;
      }
      case 5: {
        // An int16 (string length, key, version) set to an extreme.
        if (out.length < 2) break;
        const at = rng.int(out.length - 1);
        const extremes = [-1, -2, 0x7fff, -0x8000, 0x100];
        out.writeInt16BE(extremes[rng.int(extremes.length)]!, at);
        break;
      }
      case 6: {
        // Unknown API key or version.
        if (out.length < 4) break;
        if (rng.chance(0.5)) out.writeInt16BE(rng.chance(0.5) ? rng.between(70, 32767) : rng.between(-32768, -1), 0);
        else out.writeInt16BE(rng.chance(0.5) ? rng.between(17, 32767) : -1 - rng.int(100), 2);
        break;
      }
      default: {
        // A varint of many continuation bytes (unsigned varint overflow in flexible versions).
        const at = rng.int(out.length);
        out = Buffer.concat([out.subarray(0, at), Buffer.alloc(6 + rng.int(8), 0xff), out.subarray(at)]);
        break;
      }
    }
  }
  return out;
}

/**
 * The answers Kafka gives to the first questions a fuzzer asks: ApiVersions at a version
 * the broker does not know is answered UNSUPPORTED_VERSION (35) in the v0 layout with the
 * versions it does know (KIP-511); an unknown API key or version of another API gets an
 * answer or a closed connection, never silence.
 */
async function knownAnswers(address: string, fail: (why: string) => void): Promise<void> {
  const c = await RawConnection.open(address, 60_000);
  try {
    c.write(sized(requestMessage(18, 99, 7, Buffer.from([1, 2, 3, 4]))));
    const f = await c.next(60_000);
    if (typeof f === 'string') fail(`ApiVersions v99: ${f}, not an answer`);
    else if (f.readInt32BE(0) !== 7 || f.readInt16BE(4) !== 35 || f.readInt32BE(6) < 1) fail(`ApiVersions v99 answered ${f.toString('hex').slice(0, 40)}, not UNSUPPORTED_VERSION in v0`);
  } finally {
    c.close();
  }
  for (const [key, version] of [
    [9999, 0],
    [3, 999],
    [0, 2],
    [-1, 0],
  ] as const) {
    const d = await RawConnection.open(address, 60_000);
    try {
      d.write(sized(requestMessage(key, version, 8, Buffer.alloc(8))));
      const g = await d.next(60_000);
      if (g === 'timeout') fail(`API ${key} v${version}: neither an answer nor a close in 60 s`);
      else if (typeof g !== 'string' && g.readInt32BE(0) !== 8) fail(`API ${key} v${version}: answered with correlation id ${g.readInt32BE(0)}`);
    } finally {
      d.close();
    }
  }
}

/**
 * Runs the fuzzer against a fresh 1-node cluster with a listener; resolves with the report
 * (`failures` empty on a pass).
 */
export async function fuzzWire(options: WireFuzzOptions): Promise<WireFuzzReport> {
  const rng = new Rng(options.seed);
  const failures: string[] = [];
  const fail = (why: string): void => {
    if (failures.length < 50) failures.push(why);
  };
  const onUncaught = (err: unknown): void => fail(`uncaught: ${String((err as Error)?.stack ?? err)}`);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  // Each log line is checked as it comes and only counted (keeping them would grow this
  // process's heap with the run, and hide or fake a leak in the broker).
  let logLines = 0;
  let invalidLog: string | undefined;
  const onLog = (line: string): void => {
    logLines++;
    // eslint-disable-next-line no-control-regex
    if (invalidLog === undefined && (/[\x00-\x08\x0b-\x1f\x7f]/.test(line) || line.length > 500 || /\n\s+at /.test(line))) invalidLog = line.slice(0, 200);
  };
  const start = Cluster.start as (o: object) => Promise<Cluster & { bootstrapServers: string }>;
  const cluster = await start({ nodes: 1, listen: { port: 0, log: onLog } });
  const address = cluster.bootstrapServers;
  const seeds = seedFrames().filter((m) => options.apiKeys === undefined || options.apiKeys.includes(m.readInt16BE(0)));
  if (seeds.length === 0) throw new Error(`no seed frames for API keys ${String(options.apiKeys)}`);
  let bytesSent = 0;
  let answers = 0;
  let retired = 0;
  let closedByBroker = 0;
  let probes = 0;
  let honest = 0;
  const progress = options.progress ?? (() => {});
  const kafka = new Kafka({ clientId: 'fuzz-honest', brokers: [address], logLevel: logLevel.NOTHING, connectionTimeout: 30_000, requestTimeout: 60_000, retry: { retries: 5 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  let heapBaseline = 0;
  let heapAfter = 0;
  try {
    await cluster.admin().createTopics([{ name: 'fuzz', partitions: 2 }]);
    await admin.connect();
    await producer.connect();
    const honestRound = async (): Promise<void> => {
      try {
        await producer.send({ topic: 'fuzz', acks: -1, messages: [{ value: `honest-${honest}` }] });
        const topics = await admin.listTopics();
        if (!topics.includes('fuzz')) fail('KafkaJS listTopics lost the topic');
        honest++;
      } catch (err) {
        fail(`an honest KafkaJS client failed: ${String(err)}`);
      }
    };
    const probe = async (): Promise<void> => {
      probes++;
      if (!(await answersApiVersions(address, 60_000).catch(() => false))) fail(`probe ${probes}: a fresh connection's ApiVersions was not answered`);
    };
    await honestRound();
    await probe();
    await knownAnswers(address, fail);
    gc();
    heapBaseline = heapMiB();

    // Phase 1: mutated and random frames on a pool of connections.
    const poolSize = options.pool ?? 8;
    const pool: (RawConnection | undefined)[] = Array.from({ length: poolSize }, () => undefined);
    const conn = async (i: number): Promise<RawConnection> => {
      const c = pool[i];
      if (c && !c.closed) return c;
      if (c) {
        closedByBroker++;
        retired += c.received;
      }
      const fresh = await RawConnection.open(address, 60_000);
      // Count and drop whatever comes back.
      fresh.keep = false;
      pool[i] = fresh;
      return fresh;
    };
    const every = Math.max(50, Math.floor(options.frames / 50));
    for (let n = 0; n < options.frames; n++) {
      const i = rng.int(poolSize);
      const c = await conn(i);
      const kind = rng.int(20);
      if (kind === 0) {
        // A size that lies: more promised than sent, then the connection is dropped mid-frame.
        const sizes = [0x7fffffff, 0x7ffffff0, 2 ** 31 - 4, 100 * 2 ** 20, 100 * 2 ** 20 + 1, 64 * 2 ** 20, -1, -0x7fffffff, 1 + rng.int(1 << 20)];
        const head = Buffer.alloc(4);
        head.writeInt32BE(sizes[rng.int(sizes.length)]! | 0, 0);
        const tail = Buffer.from(rng.bytes(rng.int(64)));
        c.write(Buffer.concat([head, tail]));
        bytesSent += 4 + tail.length;
        c.close();
        retired += c.received;
        pool[i] = undefined;
      } else if (kind === 1) {
        // A valid frame a byte at a time.
        const frame = sized(seeds[rng.int(seeds.length)]!);
        for (const byte of frame) c.write(Buffer.of(byte));
        bytesSent += frame.length;
      } else if (kind === 2) {
        // Several frames in one write, some mutated.
        const frames = Array.from({ length: 2 + rng.int(6) }, () => sized(rng.chance(0.5) ? seeds[rng.int(seeds.length)]! : mutate(rng, seeds)));
        const all = Buffer.concat(frames);
        c.write(all);
        bytesSent += all.length;
      } else {
        const frame = sized(mutate(rng, seeds));
        c.write(frame);
        bytesSent += frame.length;
      }
      // Let the broker breathe now and then (and the sockets drain), as a real peer would.
      if (n % 16 === 15) await new Promise((r) => setImmediate(r));
      if (n % every === every - 1) {
        await probe();
        await honestRound();
        progress(`frames ${n + 1}/${options.frames}: answers ${retired + pool.reduce((a, x) => a + (x?.received ?? 0), 0)}, closed by broker ${closedByBroker}, heap ${heapMiB().toFixed(1)} MiB`);
      }
    }
    for (const c of pool) c?.close();
    answers = retired + pool.reduce((n, c) => n + (c?.received ?? 0), 0);

    // Phase 2: a thousand connections at once: silent, mid-frame, or asking ApiVersions.
    const many: RawConnection[] = [];
    const asking: RawConnection[] = [];
    const opening: Promise<void>[] = [];
    for (let k = 0; k < options.connections; k++) {
      opening.push(
        RawConnection.open(address, 120_000).then(
          (c) => {
            many.push(c);
            const mode = k % 3;
            if (mode === 1) c.write(Buffer.concat([Buffer.from([0, 0, 1, 0]), Buffer.from(rng.bytes(10))]));
            else if (mode === 2) {
              c.write(apiVersionsV0(k));
              asking.push(c);
            }
          },
          (err) => fail(`connection ${k} of ${options.connections} not accepted: ${String(err)}`),
        ),
      );
      if (k % 100 === 99) await Promise.all(opening.splice(0));
    }
    await Promise.all(opening);
    progress(`${many.length} connections open`);
    // While they are all open, the honest client and a fresh connection are still served.
    await probe();
    progress('probe answered');
    await honestRound();
    progress('honest client served');
    let asked = 0;
    let answered = 0;
    for (const c of asking) {
      asked++;
      const f = await c.next(60_000);
      if (typeof f !== 'string') answered++;
    }
    progress(`${answered} of ${asked} answered`);
    if (answered !== asked) fail(`of ${asked} connections that asked ApiVersions among ${many.length}, ${answered} were answered`);
    for (const c of many) c.close();

    // Memory: back to the baseline once the connections are gone (the broker frees them on close).
    await new Promise((r) => setTimeout(r, 500));
    await probe();
    await honestRound();
    const deadline = Date.now() + 30_000;
    for (;;) {
      gc();
      heapAfter = heapMiB();
      // The margin covers the honest clients' own state and JIT noise; a leak of even a
      // kilobyte per frame or connection would exceed it on the long run.
      if (heapAfter <= heapBaseline + 16 + heapBaseline * 0.25 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (heapAfter > heapBaseline + 16 + heapBaseline * 0.25) fail(`heap did not return to its baseline: ${heapBaseline.toFixed(1)} MiB before, ${heapAfter.toFixed(1)} MiB after`);

    // Nothing invalid in the log: short printable lines only.
    if (invalidLog !== undefined) fail(`an invalid log line: ${JSON.stringify(invalidLog)}`);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await cluster.close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  return {
    seed: options.seed,
    frames: options.frames,
    bytesSent,
    answers,
    closedByBroker,
    probes,
    honestOperations: honest,
    heapBaselineMiB: Math.round(heapBaseline * 10) / 10,
    heapAfterMiB: Math.round(heapAfter * 10) / 10,
    logLines,
    failures,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { frames: { type: 'string', default: '100000' }, seed: { type: 'string' }, connections: { type: 'string', default: '1000' } } });
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  console.error(`wire fuzz: seed ${seed}, ${values.frames} frames, ${values.connections} connections (replay: --seed ${seed})`);
  const report = await fuzzWire({ frames: Number(values.frames), seed, connections: Number(values.connections), progress: (l) => console.error(l) });
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.failures.length === 0 ? 0 : 1);
}
