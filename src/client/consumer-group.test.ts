/**
 * The pure parts of `ConsumerGroup`: Kafka's ConsumerProtocol bytes (subscription and
 * assignment), the leader's assignment, and option validation with defaults.
 */
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../util/errors.js';
import { resolveConsumerGroupOptions } from './consumer-group.js';
import { computeAssignment, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type Subscription } from './consumer-protocol.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ConsumerProtocol bytes', () => {
  it('writes a version 3 subscription byte for byte', () => {
    const bytes = encodeSubscription({ topics: ['ab'], userData: null, ownedPartitions: [{ topic: 'ab', partition: 1 }], generationId: 7, rackId: null });
    // version 3 | topics [1: "ab"] | userData null | owned [1: "ab" [1: 1]] | generation 7 | rack null
    expect(hex(bytes)).toBe(['0003', '00000001', '0002', '6162', 'ffffffff', '00000001', '0002', '6162', '00000001', '00000001', '00000007', 'ffff'].join(''));
    expect(decodeSubscription(bytes)).toEqual({ topics: ['ab'], userData: null, ownedPartitions: [{ topic: 'ab', partition: 1 }], generationId: 7, rackId: null });
  });

  it('reads version 0 (as KafkaJS and old Java clients write it, empty user data) and version 1', () => {
    const v0 = Buffer.from(['0000', '00000002', '0001', '78', '0001', '79', '00000000'].join(''), 'hex');
    expect(decodeSubscription(v0)).toEqual({ topics: ['x', 'y'], userData: new Uint8Array(0), ownedPartitions: [], generationId: -1, rackId: null });
    const v1 = Buffer.from(['0001', '00000001', '0001', '78', 'ffffffff', '00000001', '0001', '78', '00000002', '00000000', '00000003'].join(''), 'hex');
    expect(decodeSubscription(v1).ownedPartitions).toEqual([
      { topic: 'x', partition: 0 },
      { topic: 'x', partition: 3 },
    ]);
  });

  it('reads a newer version than 3 as 3, ignoring what follows', () => {
    const v3 = encodeSubscription({ topics: ['t'], userData: null, ownedPartitions: [], generationId: 2, rackId: 'r1' });
    const v9 = Buffer.concat([Buffer.from('0009', 'hex'), Buffer.from(v3).subarray(2), Buffer.from('deadbeef', 'hex')]);
    expect(decodeSubscription(v9)).toMatchObject({ topics: ['t'], generationId: 2, rackId: 'r1' });
  });

  it('writes an assignment byte for byte, groups partitions by topic, and reads an empty reply as no partitions', () => {
    const bytes = encodeAssignment({ partitions: [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 2 }, { topic: 'a', partition: 1 }], userData: null });
    expect(hex(bytes)).toBe(['0003', '00000002', '0001', '61', '00000002', '00000000', '00000001', '0001', '62', '00000001', '00000002', 'ffffffff'].join(''));
    expect(decodeAssignment(bytes).partitions).toEqual([
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 1 },
      { topic: 'b', partition: 2 },
    ]);
    expect(decodeAssignment(new Uint8Array(0))).toEqual({ partitions: [], userData: null });
  });

  it('refuses truncated bytes with CORRUPT_MESSAGE, at every length', () => {
    const bytes = encodeSubscription({ topics: ['topic'], userData: new Uint8Array([1, 2]), ownedPartitions: [{ topic: 'topic', partition: 0 }], generationId: 1, rackId: 'r' });
    for (let n = 0; n < bytes.length; n++) {
      let caught: unknown;
      try {
        decodeSubscription(bytes.subarray(0, n));
      } catch (err) {
        caught = err;
      }
      expect(isTributaryError(caught, 'CORRUPT_MESSAGE'), `length ${n}`).toBe(true);
    }
  });
});

describe('the leader assignment', () => {
  const sub = (topics: string[], owned: [string, number][] = [], generationId = -1): Subscription => ({ topics, userData: null, ownedPartitions: owned.map(([topic, partition]) => ({ topic, partition })), generationId, rackId: null });
  const counts = new Map([['t', 6]]);

  it('range: contiguous halves; roundrobin: alternating; unknown topics ignored', () => {
    const members = [
      { memberId: 'm1', subscription: sub(['t', 'missing']) },
      { memberId: 'm2', subscription: sub(['t']) },
    ];
    const range = computeAssignment('range', members, counts);
    expect(range.get('m1')!.map((tp) => tp.partition)).toEqual([0, 1, 2]);
    expect(range.get('m2')!.map((tp) => tp.partition)).toEqual([3, 4, 5]);
    const rr = computeAssignment('roundrobin', members, counts);
    expect(rr.get('m1')!.map((tp) => tp.partition)).toEqual([0, 2, 4]);
  });

  it('cooperative-sticky: keeps current owners, moves only what balance needs, and ignores claims from an older generation', () => {
    const current = computeAssignment('cooperative-sticky', [{ memberId: 'a', subscription: sub(['t'], [['t', 0], ['t', 1], ['t', 2], ['t', 3], ['t', 4], ['t', 5]], 4) }, { memberId: 'b', subscription: sub(['t'], [], -1) }], counts);
    // a keeps three of its six; the three that move go to nobody until the follow-up rebalance.
    expect(current.get('a')!.length).toBe(3);
    expect(current.get('b')!.length).toBe(0);
    // A zombie claiming partitions from generation 3 while another claims one of them in
    // generation 4 loses its claims: counted, the shared partition would look like it
    // moves and be held back from its owner for a rebalance.
    const stale = computeAssignment(
      'cooperative-sticky',
      [
        { memberId: 'a', subscription: sub(['t'], [['t', 0], ['t', 1], ['t', 2], ['t', 3]], 3) },
        { memberId: 'b', subscription: sub(['t'], [['t', 3], ['t', 4], ['t', 5]], 4) },
      ],
      counts,
    );
    expect(stale.get('a')!.map((tp) => tp.partition)).toEqual([0, 1, 2]);
    expect(stale.get('b')!.map((tp) => tp.partition)).toEqual([3, 4, 5]);
  });
});

describe('options', () => {
  it('fills in the embedded defaults', () => {
    expect(resolveConsumerGroupOptions({ groupId: 'g', topics: ['t', 't'] })).toEqual({
      groupId: 'g',
      topics: ['t'],
      from: 'latest',
      assignor: 'range',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      rebalanceTimeoutMs: 60_000,
      groupInstanceId: null,
      autoCommit: true,
      autoCommitIntervalMs: 1000,
      clientId: 'tributary-consumer',
      maxWaitMs: 500,
      requestTimeoutMs: 30_000,
      metadataMaxAgeMs: 5000,
      logger: expect.objectContaining({ warn: expect.any(Function) }),
    });
    // A short session gets a heartbeat a third of it by default.
    expect(resolveConsumerGroupOptions({ groupId: 'g', topics: /orders-.*/, sessionTimeoutMs: 1500 }).heartbeatIntervalMs).toBe(500);
  });

  it.each([
    [{ groupId: 7, topics: ['t'] }, 'groupId'],
    [{ groupId: 'g', topics: 't' }, 'topics'],
    [{ groupId: 'g', topics: ['t'], heartbeatIntervalMs: 0 }, 'heartbeatIntervalMs'],
    [{ groupId: 'g', topics: ['t'], maxWaitMs: -5 }, 'maxWaitMs'],
    [{ groupId: 'g', topics: ['t'], clientId: '' }, 'clientId'],
    [{ groupId: 'g', topics: ['t'], key: { serialize: () => new Uint8Array() } }, 'key'],
  ])('refuses %j naming %s', (options, option) => {
    let caught: unknown;
    try {
      resolveConsumerGroupOptions(options as never);
    } catch (err) {
      caught = err;
    }
    expect(isTributaryError(caught, 'INVALID_CONFIG')).toBe(true);
    expect((caught as { option: string }).option).toBe(option);
  });
});
