/**
 * Metadata benchmark cases, one per process, run with --expose-gc:
 * `node --expose-gc --import tsx bench/metadata-cases.ts scale <topics> <partitionsPerTopic>`.
 * Builds the partitions through the controller (as a cluster's CreateTopics would, 100
 * topics a request), then snapshots and restores the image.
 */
import { Controller } from '../src/metadata/controller.js';
import { restore, snapshot } from '../src/metadata/image.js';
import type { MetadataRecord } from '../src/metadata/records.js';
import { randomUuid } from '../src/metadata/uuid.js';
import { Rng } from '../src/util/rng.js';
import { peakRssMiB, report } from './lib.js';

const [, topicsText, perTopicText] = process.argv.slice(2);
const topics = Number(topicsText);
const perTopic = Number(perTopicText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const controller = new Controller({ rng: new Rng(1), config: { metadataMaxIdleIntervalMs: 0 } });
controller.activate(0, 0);
let offset = 0;
const run = (records: readonly MetadataRecord[]): void => {
  for (const r of records) controller.replay(r, offset++);
};
const ids = new Rng(2);
for (let b = 0; b < 6; b++) {
  const reg = controller.handle({ type: 'BrokerRegistration', brokerId: b, incarnationId: randomUuid(ids) }, 0);
  run(reg.records);
  run(controller.handle({ type: 'BrokerHeartbeat', brokerId: b, brokerEpoch: reg.response.brokerEpoch, currentMetadataOffset: offset }, 0).records);
}
const before = heap();
let t0 = performance.now();
for (let t = 0; t < topics; t += 100) {
  const batch = [];
  for (let i = t; i < Math.min(topics, t + 100); i++) batch.push({ name: `topic-${i}`, numPartitions: perTopic, replicationFactor: 3 });
  const result = controller.handle({ type: 'CreateTopics', topics: batch }, 0);
  if (!result.response.topics.every((x) => x.errorCode === 'NONE')) throw new Error('CreateTopics failed');
  run(result.records);
}
const buildMs = performance.now() - t0;
const image = controller.image;
const partitions = topics * perTopic;
if (image.partitionCount !== partitions) throw new Error(`image has ${image.partitionCount} partitions`);
// The heap figure covers the controller's whole state (committed and speculative image,
// soft state), not the image alone: what a running controller costs.
const after = heap();
t0 = performance.now();
const chunks = snapshot(image);
const snapshotMs = performance.now() - t0;
const snapshotBytes = chunks.reduce((n, c) => n + c.length, 0);
t0 = performance.now();
const restored = restore(chunks, image.offset);
const restoreMs = performance.now() - t0;
if (!restored.equals(image)) throw new Error('restored image differs');
report({
  name: 'metadata-scale',
  partitions,
  buildMs,
  heapBytesPerPartition: (after - before) / partitions,
  heapMiB: (after - before) / 2 ** 20,
  snapshotMiB: snapshotBytes / 2 ** 20,
  snapshotMs,
  restoreMs,
  peakRssMiB: peakRssMiB(),
});
