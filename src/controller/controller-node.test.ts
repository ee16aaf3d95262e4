/**
 * A controller whose Raft log cannot take an entry answers every waiting request with a
 * typed error, promptly, instead of leaving it to time out:
 * - an entry too large for the metadata log is refused before Raft holds it
 *   (RECORD_LIST_TOO_LARGE), and the controller goes on serving;
 * - a write that fails under the log (a disk error) stops the node, and the request
 *   waiting for that entry fails with KAFKA_STORAGE_ERROR, later ones NOT_CONTROLLER.
 */
import { describe, expect, it } from 'vitest';
import { randomUuid } from '../metadata/uuid.js';
import { InlineRaftNetwork } from '../raft/inline-network.js';
import { MemoryStore, type StoreFile } from '../storage/store.js';
import { TributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';
import { ControllerNode } from './controller-node.js';

const tempDir = useTempDirs('tributary-controller-node-');
// On simulated time: the election, Raft's ticks and the waits below run in the clock's time.
const sim = useSimulatedClock();
const { clock } = sim;

/** A metadata log store whose appends throw, as a failing disk's would, once `failing` is set. */
class FailingStore extends MemoryStore {
  failing = false;
  override open(name: string, create: boolean): StoreFile {
    const f = super.open(name, create);
    const append = f.append.bind(f);
    f.append = (buf, offset, length) => {
      if (this.failing) throw new TributaryError('KAFKA_STORAGE_ERROR', 'injected: no space left on device');
      append(buf, offset, length);
    };
    return f;
  }
}

async function openActive(options: { store?: FailingStore; entryBytesMax?: number } = {}): Promise<ControllerNode> {
  const node = await ControllerNode.open({
    id: 1,
    voters: [1],
    dataDir: tempDir(),
    network: new InlineRaftNetwork(clock),
    clock,
    seed: 1,
    controller: { metadataMaxIdleIntervalMs: 0, ...(options.entryBytesMax !== undefined ? { entryBytesMax: options.entryBytesMax } : {}) },
    ...(options.store ? { openStore: () => options.store! } : {}),
  });
  for (let i = 0; i < 500 && !node.isActive; i++) await sim.sleep(10);
  expect(node.isActive).toBe(true);
  const reg = await node.submit({ type: 'BrokerRegistration', brokerId: 1, incarnationId: randomUuid(new Rng(2)) });
  const hb = await node.submit({ type: 'BrokerHeartbeat', brokerId: 1, brokerEpoch: reg.brokerEpoch, currentMetadataOffset: reg.brokerEpoch });
  expect(hb.isFenced).toBe(false);
  return node;
}

/** Waits for `p` to settle, for 2000 steps of 5 ms of the clock (less than a request's timeout): a request left waiting fails the test. */
async function settled<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then((value) => (out = { ok: true, value }), (error: unknown) => (out = { ok: false, error }));
  for (let i = 0; i < 2000 && out === undefined; i++) await sim.sleep(5);
  expect(out, 'the request was answered').toBeDefined();
  return out!;
}

describe('ControllerNode: a Raft write that cannot happen answers the waiting request', () => {
  it('refuses an entry over the metadata log\'s max.message.bytes with RECORD_LIST_TOO_LARGE, and serves the next request', async () => {
    // The controller's own entry check is lifted, so the request reaches Raft's.
    const node = await openActive({ entryBytesMax: 64 * 1024 * 1024 });
    try {
      // 48 topics, each with a cleanup.policy list of 28 KB (valid, if redundant): 1.3 MB of records.
      const policy = Array.from({ length: 4_000 }, () => 'delete').join(',');
      const topics = Array.from({ length: 48 }, (_, i) => ({ name: `big${i}`, numPartitions: 1, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: policy }] }));
      const big = await settled(node.submit({ type: 'CreateTopics', topics }));
      expect(big.ok).toBe(false);
      expect((big as { error: unknown }).error).toMatchObject({ name: 'TributaryError', code: 'RECORD_LIST_TOO_LARGE' });
      expect(node.image.topic('big0')).toBeUndefined();
      // The controller recovered: it is active again and commits.
      for (let i = 0; i < 500 && !node.isActive; i++) await sim.sleep(10);
      const next = await node.submit({ type: 'CreateTopics', topics: [{ name: 'next', numPartitions: 3, replicationFactor: 1 }] });
      expect(next.topics[0]!.errorCode).toBe('NONE');
      expect(node.image.topic('next')?.partitions.length).toBe(3);
    } finally {
      await node.close();
    }
  });

  it('fails the request waiting on a failed log write with KAFKA_STORAGE_ERROR, and later requests with NOT_CONTROLLER', async () => {
    const store = new FailingStore();
    const node = await openActive({ store });
    try {
      store.failing = true;
      const waiting = await settled(node.submit({ type: 'CreateTopics', topics: [{ name: 'lost', numPartitions: 1, replicationFactor: 1 }] }));
      expect(waiting.ok).toBe(false);
      expect((waiting as { error: unknown }).error).toMatchObject({ name: 'TributaryError', code: 'KAFKA_STORAGE_ERROR' });
      const later = await settled(node.submit({ type: 'CreateTopics', topics: [{ name: 'later', numPartitions: 1, replicationFactor: 1 }] }));
      expect((later as { error: unknown }).error).toMatchObject({ code: 'NOT_CONTROLLER' });
    } finally {
      node.kill();
    }
  });
});
