import { Controller } from '../../src/metadata/controller.js';
import type { MetadataRecord } from '../../src/metadata/records.js';
import { randomUuid } from '../../src/metadata/uuid.js';
import { Rng } from '../../src/util/rng.js';

/**
 * A controller with six registered, unfenced brokers, ready to create topics at scale,
 * with `run` replaying records at the next offsets. Shared by the metadata scale test
 * and the metadata benchmark.
 */
export function controllerWithBrokers(): { controller: Controller; run: (records: readonly MetadataRecord[]) => void; nextOffset: () => number } {
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
  return { controller, run, nextOffset: () => offset };
}

/** Creates `topics` topics of `perTopic` partitions (RF 3), 100 topics a request. Throws if any fails. */
export function createTopicsAtScale(controller: Controller, run: (records: readonly MetadataRecord[]) => void, topics: number, perTopic: number): void {
  for (let t = 0; t < topics; t += 100) {
    const batch = [];
    for (let i = t; i < Math.min(topics, t + 100); i++) batch.push({ name: `topic-${i}`, numPartitions: perTopic, replicationFactor: 3 });
    const result = controller.handle({ type: 'CreateTopics', topics: batch }, 0);
    if (!result.response.topics.every((x) => x.errorCode === 'NONE')) throw new Error('CreateTopics failed');
    run(result.records);
  }
}
