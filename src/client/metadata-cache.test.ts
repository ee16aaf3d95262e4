import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { MetadataResponse } from '../protocol/cluster.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { Transport } from '../transport/transport.js';
import { SimulatedClock, systemClock } from '../util/clock.js';
import { Rng } from '../util/rng.js';
import { MetadataCache } from './metadata-cache.js';

// The FakeCluster answers at once; the request timeout and the deadlines below are bounds
// that must hold when the event loop runs seconds late (load 10 on 2 cores), never asserted.
const options = { metadataMaxAgeMs: 300_000, retryBackoffMs: 20, retryBackoffMaxMs: 100, requestTimeoutMs: 30_000 };
const generous = 30_000;

describe('MetadataCache', () => {
  it('learns leaders and epochs, and shares one request among concurrent refreshes', async () => {
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 2 } });
    const cache = new MetadataCache(cluster, options, systemClock, new Rng(1));
    const info = await cache.waitForTopic('t', systemClock.monotonic() + generous);
    expect(info.partitions.map((p) => [p.leaderId, p.leaderEpoch])).toEqual([[1, 0], [2, 0]]);
    cache.invalidate('NOT_LEADER_OR_FOLLOWER');
    const before = cluster.stats.requests.Metadata;
    await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    expect(cluster.stats.requests.Metadata - before).toBe(1);
    expect(cache.nodes()).toEqual([1, 2]);
  });

  it('waits retryBackoffMs between refreshes, and does not refresh on errors that say nothing about metadata', async () => {
    // A clock that stands still: the backoff is measured on it from the last attempt, so the
    // wait is the whole retryBackoffMs however late this line runs after that attempt (on the
    // system clock a loaded machine had spent the backoff already, and nothing was waited).
    const clock = new SimulatedClock(0);
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const cache = new MetadataCache(cluster, { ...options, retryBackoffMs: 50 }, clock, new Rng(1));
    await cache.waitForTopic('t', generous);
    cache.invalidate('MESSAGE_TOO_LARGE');
    expect(cache.isStale).toBe(false);
    cache.invalidate('FENCED_LEADER_EPOCH');
    expect(cache.isStale).toBe(true);
    const before = cluster.stats.requests.Metadata;
    const started = performance.now();
    await cache.refresh();
    // A real timer of 50 ms ran before the request (a lower bound: load only makes it longer).
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(cluster.stats.requests.Metadata - before).toBe(1);
    cluster.moveLeader('t', 0, 1);
    cache.invalidate('NOT_LEADER_OR_FOLLOWER');
    await cache.refresh();
    expect(cache.leader('t', 0)?.leaderEpoch).toBe(1);
  });

  it('keeps a newer leader epoch than a lagging node reports', async () => {
    let epoch = 5;
    const transport: Transport = {
      bootstrapNodes: () => [1],
      close: async () => {},
      send: async <R extends Request>(_node: number, _request: R) => {
        const response: MetadataResponse = {
          apiKey: ApiKey.Metadata,
          brokers: [{ nodeId: 1, host: 'h', port: 1, rack: null }],
          clusterId: 'c',
          controllerId: 1,
          topics: [{ errorCode: 'NONE', name: 't', topicId: '00000000-0000-0000-0000-000000000000' as never, isInternal: false, topicAuthorizedOperations: 0, partitions: [{ errorCode: 'NONE', partitionIndex: 0, leaderId: epoch, leaderEpoch: epoch, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
        };
        return response as ResponseFor<R>;
      },
    };
    const cache = new MetadataCache(transport, { ...options, retryBackoffMs: 0 }, systemClock, new Rng(1));
    await cache.waitForTopic('t', systemClock.monotonic() + generous);
    expect(cache.leader('t', 0)?.leaderEpoch).toBe(5);
    epoch = 3;
    cache.invalidate('NOT_LEADER_OR_FOLLOWER');
    await cache.refresh();
    expect(cache.leader('t', 0)?.leaderEpoch).toBe(5);
  });

  it('asks another node when one is down, and rejects when none answers', async () => {
    const cluster = new FakeCluster({ nodes: [1, 2], topics: { t: 1 } });
    cluster.setNodeDown(1, true);
    const cache = new MetadataCache(cluster, { ...options, retryBackoffMs: 1 }, systemClock, new Rng(1));
    expect((await cache.waitForTopic('t', systemClock.monotonic() + generous)).name).toBe('t');
    cluster.setNodeDown(2, true);
    cache.invalidate('NETWORK_EXCEPTION');
    await expect(cache.refresh()).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' });
  });

  it('refreshes data older than metadataMaxAgeMs on the next lookup', async () => {
    const clock = new SimulatedClock(0);
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const cache = new MetadataCache(cluster, { ...options, metadataMaxAgeMs: 1000 }, clock, new Rng(1));
    await cache.waitForTopic('t', 1000);
    const before = cluster.stats.requests.Metadata;
    cache.topic('t');
    expect(cluster.stats.requests.Metadata).toBe(before);
    clock.advance(1001);
    cache.topic('t');
    await cache.refresh();
    expect(cluster.stats.requests.Metadata).toBe(before + 1);
  });
});
