/**
 * Records Kafka frames written by independent implementations, as fixtures for the codec
 * tests (test/wire/captured-frames.test.ts): `npx tsx test/wire/capture.ts <target>`.
 *
 * - `mock`: kcat and confluent-kafka-python (librdkafka 2.0.2) against librdkafka's own
 *   mock cluster, through the recording proxy. Both the requests and the responses are
 *   librdkafka's bytes (its client and its mock broker), none of them Tributary's.
 * - `tributary`: the same clients against a Tributary cluster with listeners. Only the
 *   requests are kept: they are librdkafka's bytes at the versions Tributary advertises
 *   (the flexible ones the mock does not speak); the responses are Tributary's own.
 *
 * One file per API, version and direction (and per compression codec for Produce and
 * Fetch), the message without its size prefix, plus `manifest.json` naming each. Frames
 * over 64 KiB are not kept, so the fixtures stay small.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kcatBase, runKcat, runPython, start, startMockCluster } from './helpers/clients.js';
import { RecordingProxy, parseServers, type CapturedFrame } from './helpers/recording-proxy.js';
import { apiNames } from './helpers/api-names.js';

export const capturedDir = fileURLToPath(new URL('../fixtures/wire/captured/', import.meta.url));

export interface ManifestEntry {
  readonly file: string;
  readonly direction: 'request' | 'response';
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
  /** Who wrote the bytes: `librdkafka 2.0.2 client (kcat 1.7.1)`, `librdkafka 2.0.2 mock broker`, ... */
  readonly writer: string;
  /** The scenario it was recorded in. */
  readonly scenario: string;
  readonly bytes: number;
}

const frameBytesKept = 64 * 1024;

/**
 * Ten keyed lines and one keyless, repetitive enough that every codec shrinks them:
 * librdkafka sends a batch uncompressed when compressing does not make it smaller.
 */
function compressible(codec: string): string {
  const lines = Array.from({ length: 10 }, (_, i) => `k${i}:${codec} record ${i} ${'abcdefgh'.repeat(8)}`);
  return `${lines.join('\n')}\n:${codec} keyless\n`;
}

async function capture(target: 'mock' | 'tributary'): Promise<void> {
  let upstream: string;
  let stop: () => Promise<void>;
  if (target === 'mock') {
    const mock = await startMockCluster(3);
    upstream = mock.bootstrapServers;
    stop = () => mock.close();
  } else {
    const { startWireCluster } = await import('./helpers/cluster.js');
    const cluster = await startWireCluster({ nodes: 3 });
    upstream = cluster.bootstrapServers;
    stop = () => cluster.close();
  }
  const proxy = await RecordingProxy.start(parseServers(upstream));
  const b = proxy.bootstrapServers;
  const tagged: { frame: CapturedFrame; scenario: string; writer: string }[] = [];
  let seen = 0;
  const scenario = async (name: string, writer: string, body: () => Promise<unknown>): Promise<void> => {
    process.stderr.write(`${target}: ${name}\n`);
    try {
      await body();
    } catch (err) {
      process.stderr.write(`  (${name} failed: ${String(err).split('\n')[0]})\n`);
    }
    // Let late responses arrive before the frames are attributed.
    await new Promise((r) => setTimeout(r, 300));
    for (; seen < proxy.frames.length; seen++) tagged.push({ frame: proxy.frames[seen]!, scenario: name, writer });
  };
  const kcatWriter = 'librdkafka 2.0.2 client (kcat 1.7.1)';
  const pyWriter = 'librdkafka 2.0.2 client (confluent-kafka-python 1.7.0)';
  const topic = 'captured';
  const create = target === 'mock' ? [] : ['-X', 'topic.metadata.refresh.interval.ms=1000'];
  await scenario('kcat-metadata', kcatWriter, () => runKcat(kcatBase(b, ['-L']), { timeoutMs: 60_000 }));
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    await scenario(`kcat-produce-${codec}`, kcatWriter, () =>
      runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '0', '-z', codec, '-K', ':', ...create]), { input: compressible(codec), timeoutMs: 60_000 }),
    );
  }
  await scenario('kcat-consume-beginning', kcatWriter, () => runKcat(kcatBase(b, ['-C', '-t', topic, '-o', 'beginning', '-e']), { timeoutMs: 60_000 }));
  await scenario('kcat-consume-timestamp', kcatWriter, () => runKcat(kcatBase(b, ['-C', '-t', topic, '-o', `s@${Date.now() - 3_600_000}`, '-e']), { timeoutMs: 60_000 }));
  await scenario('kcat-group', kcatWriter, async () => {
    const g = start('kcat', kcatBase(b, ['-G', 'captured-kcat', topic, '-o', 'beginning', '-e']), { timeoutMs: 30_000 });
    await g.done;
  });
  await scenario('python-producer-idempotent', pyWriter, () => runPython('producer.py', [b, topic, 5, 'all', 'none'], { timeoutMs: 60_000 }));
  await scenario('python-consumer-group', pyWriter, () => runPython('consumer.py', [b, topic, 'captured-py', 5, 30], { timeoutMs: 90_000 }));
  if (target === 'tributary') await scenario('python-admin', pyWriter, () => runPython('admin.py', [b, 'captured-admin', 2, 3], { timeoutMs: 90_000 }));
  await proxy.close();
  await stop();

  const dir = `${capturedDir}${target === 'mock' ? 'librdkafka-mock' : 'librdkafka-tributary'}/`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest: ManifestEntry[] = [];
  const kept = new Set<string>();
  for (const { frame, scenario: s, writer } of tagged) {
    if (target === 'tributary' && frame.direction === 'response') continue;
    if (frame.message.length > frameBytesKept) continue;
    const name = apiNames[frame.apiKey] ?? `Api${frame.apiKey}`;
    // Produce requests and Fetch responses carry record batches: one per codec.
    const codec = /-(none|gzip|snappy|lz4|zstd)$/.exec(s)?.[1];
    const variant = (name === 'Produce' && frame.direction === 'request') || (name === 'Fetch' && frame.direction === 'response') ? (codec ?? '') : '';
    const key = `${frame.apiKey}-${frame.apiVersion}-${frame.direction}-${variant}`;
    if (kept.has(key)) continue;
    // A Fetch response without records says little: keep the first with a batch in it.
    if (name === 'Fetch' && frame.direction === 'response' && frame.message.length < 120) continue;
    kept.add(key);
    const file = `${name}-v${frame.apiVersion}-${frame.direction}${variant ? `-${variant}` : ''}.bin`;
    writeFileSync(dir + file, frame.message);
    manifest.push({
      file,
      direction: frame.direction,
      apiKey: frame.apiKey,
      apiName: name,
      apiVersion: frame.apiVersion,
      writer: frame.direction === 'request' ? writer : 'librdkafka 2.0.2 mock broker (test.mock.num.brokers)',
      scenario: s,
      bytes: frame.message.length,
    });
  }
  manifest.sort((x, y) => x.apiKey - y.apiKey || x.apiVersion - y.apiVersion || x.file.localeCompare(y.file));
  writeFileSync(`${dir}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  process.stderr.write(`${target}: kept ${manifest.length} frames of ${tagged.length} in ${dir}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = process.argv[2];
  if (target !== 'mock' && target !== 'tributary') {
    console.error('usage: tsx test/wire/capture.ts mock|tributary');
    process.exit(2);
  }
  await capture(target);
}
