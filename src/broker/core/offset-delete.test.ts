import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/api-keys.js';
import type * as P from '../../protocol/group.js';
import { Rng } from '../../util/rng.js';
import { GroupCoordinator, type GroupOutput, type GroupRequest } from './group-coordinator.js';
import { subscribedTopics } from './offset-delete.js';

/** A ConsumerProtocolSubscription v0: version, topics, null user data. */
function subscription(...topics: string[]): Uint8Array {
  const parts = topics.map((t) => Buffer.from(t));
  const b = Buffer.alloc(2 + 4 + parts.reduce((n, p) => n + 2 + p.length, 0) + 4);
  let o = b.writeInt16BE(0, 0);
  o = b.writeInt32BE(topics.length, o);
  for (const p of parts) {
    o = b.writeInt16BE(p.length, o);
    o += p.copy(b, o);
  }
  b.writeInt32BE(-1, o);
  return new Uint8Array(b);
}

/** The real coordinator, with every record replayed (committed) as soon as it is returned. */
function coordinator(): { send: <T>(r: GroupRequest) => T; records: () => number } {
  const c = new GroupCoordinator({ rng: new Rng(1), config: { groupInitialRebalanceDelayMs: 0 }, partitionExists: (t, p) => ['t1', 't2'].includes(t) && p >= 0 && p < 2 });
  c.loadFrom([], 0);
  let id = 0;
  let records = 0;
  return {
    send: <T>(r: GroupRequest): T => {
      const out = c.handle(++id, r, 1000);
      for (const rec of out.records) c.replay(rec);
      records += out.records.length;
      const reply = out.replies.find((x) => x.to === id);
      expect(reply, `request ${id} answered`).toBeDefined();
      return reply!.response as unknown as T;
    },
    records: () => records,
  };
}

type Join = { errorCode: string; memberId: string; generationId: number };
type Deleted = { errorCode: string; topics: { name: string; partitions: { partitionIndex: number; errorCode: string }[] }[] };
type Fetched = { topics: { name: string; partitions: { partitionIndex: number; committedOffset: number }[] }[] };

function join(send: ReturnType<typeof coordinator>['send'], group: string, protocolType: string, metadata: Uint8Array): string {
  const req = (memberId: string): P.JoinGroupRequest => ({ apiKey: ApiKey.JoinGroup, groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType, protocols: [{ name: 'range', metadata }] });
  const first = send<Join>(req(''));
  expect(first.errorCode).toBe('MEMBER_ID_REQUIRED');
  const second = send<Join>(req(first.memberId));
  expect(second.errorCode).toBe('NONE');
  expect(send<{ errorCode: string }>({ apiKey: ApiKey.SyncGroup, groupId: group, generationId: second.generationId, memberId: first.memberId, groupInstanceId: null, protocolType, protocolName: 'range', assignments: [] }).errorCode).toBe('NONE');
  return first.memberId;
}

const commit = (group: string, offsets: [string, number, number][]): P.OffsetCommitRequest => ({
  apiKey: ApiKey.OffsetCommit,
  groupId: group,
  generationId: -1,
  memberId: '',
  groupInstanceId: null,
  topics: [...new Set(offsets.map((o) => o[0]))].map((name) => ({ name, partitions: offsets.filter((o) => o[0] === name).map((o) => ({ partitionIndex: o[1], committedOffset: o[2], committedLeaderEpoch: -1, committedMetadata: null })) })),
});
const offsetDelete = (group: string, topics: [string, number[]][]): P.OffsetDeleteRequest => ({ apiKey: ApiKey.OffsetDelete, groupId: group, topics: topics.map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })) });
const errors = (r: Deleted): Record<string, string> => Object.fromEntries(r.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}:${p.partitionIndex}`, p.errorCode])));

describe('OffsetDelete (KIP-496) in the group coordinator', () => {
  it('deletes the offsets of topics no member subscribes to, refuses those of a subscribed topic, and names unknown partitions', () => {
    const { send, records } = coordinator();
    send(commit('g', [['t1', 0, 5], ['t1', 1, 6], ['t2', 0, 7], ['t2', 1, 8]]));
    join(send, 'g', 'consumer', subscription('t1'));
    const before = records();
    const r = send<Deleted>(offsetDelete('g', [['t1', [0]], ['t2', [0, 1]], ['t3', [0]], ['t2', [5]]]));
    expect(r.errorCode).toBe('NONE');
    expect(errors(r)).toEqual({ 't1:0': 'GROUP_SUBSCRIBED_TO_TOPIC', 't2:0': 'NONE', 't2:1': 'NONE', 't3:0': 'UNKNOWN_TOPIC_OR_PARTITION', 't2:5': 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(records() - before).toBe(2); // two tombstones
    const fetched = send<Fetched>({ apiKey: ApiKey.OffsetFetch, groupId: 'g', topics: null });
    expect(fetched.topics.flatMap((t) => t.partitions.map((p) => `${t.name}:${p.partitionIndex}@${p.committedOffset}`))).toEqual(['t1:0@5', 't1:1@6']);
    // A partition with no offset: NONE and no record.
    const again = records();
    expect(errors(send<Deleted>(offsetDelete('g', [['t2', [0]]])))).toEqual({ 't2:0': 'NONE' });
    expect(records()).toBe(again);
  });

  it('answers GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP for a non-consumer group with members, and deletes anything of an Empty group', () => {
    const { send } = coordinator();
    expect(send<Deleted>(offsetDelete('nobody', [['t1', [0]]]))).toEqual({ errorCode: 'GROUP_ID_NOT_FOUND', topics: [] });
    expect(send<Deleted>(offsetDelete('', [['t1', [0]]]))).toEqual({ errorCode: 'INVALID_GROUP_ID', topics: [] }); // Kafka checks the id first
    join(send, 'connect', 'connect', new Uint8Array([1, 2, 3]));
    expect(send<Deleted>(offsetDelete('connect', [['t1', [0]]]))).toEqual({ errorCode: 'NON_EMPTY_GROUP', topics: [] });
    send(commit('empty', [['t1', 0, 1]]));
    expect(errors(send<Deleted>(offsetDelete('empty', [['t1', [0]]])))).toEqual({ 't1:0': 'NONE' });
    expect(send<Fetched>({ apiKey: ApiKey.OffsetFetch, groupId: 'empty', topics: null }).topics).toEqual([]);
  });

  it('treats a member whose subscription cannot be read as subscribed to every topic', () => {
    const { send } = coordinator();
    send(commit('g', [['t2', 0, 7]]));
    join(send, 'g', 'consumer', new Uint8Array([0, 0, 0x7f, 0xff, 0xff, 0xff]));
    expect(errors(send<Deleted>(offsetDelete('g', [['t2', [0]]])))).toEqual({ 't2:0': 'GROUP_SUBSCRIBED_TO_TOPIC' });
  });

  it('reads the topics of a ConsumerProtocolSubscription and refuses malformed ones', () => {
    expect(subscribedTopics(subscription('a', 'bb'))).toEqual(['a', 'bb']);
    expect(subscribedTopics(subscription())).toEqual([]);
    expect(subscribedTopics(new Uint8Array([0, 3, 0, 0, 0, 1, 0, 5, 0x61]))).toBeUndefined(); // a name past the end
    expect(subscribedTopics(new Uint8Array([0xff, 0xff, 0, 0, 0, 0]))).toBeUndefined(); // a negative version
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0xff]))).toBeUndefined(); // invalid UTF-8
    expect(subscribedTopics(new Uint8Array(3))).toBeUndefined();
    // Kafka reads the whole v0 (topics, then user data): bytes that end before the user data, or whose user data runs past the end, are not one.
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0x74]))).toBeUndefined();
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 0]))).toBeUndefined();
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1]))).toBeUndefined();
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe]))).toBeUndefined();
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7, 9, 9]))).toEqual([]); // user data, then a later version's fields
  });
});

describe('OffsetDelete against large subscriptions', () => {
  it("reads each member's subscription once a request, not once a topic named (a request of many topics must not cost topics x subscriptions)", () => {
    /** Subscription bytes that count how often they are parsed (`subscribedTopics` reads `byteOffset` once a parse). */
    class Counted extends Uint8Array {
      static parses = 0;
      override get byteOffset(): number {
        Counted.parses++;
        return super.byteOffset;
      }
    }
    const { send } = coordinator();
    send(commit('g', [['t2', 0, 7]]));
    const bytes = subscription('t1', ...Array.from({ length: 50 }, (_, i) => `other-${i}`));
    const metadata = new Counted(bytes.length);
    metadata.set(bytes);
    join(send, 'g', 'consumer', metadata);
    const topics: [string, number[]][] = Array.from({ length: 200 }, (_, i) => [`gone-${i}`, [0]]);
    Counted.parses = 0;
    const r = send<Deleted>(offsetDelete('g', [['t1', [0]], ['t2', [0]], ...topics]));
    expect(errors(r)).toMatchObject({ 't1:0': 'GROUP_SUBSCRIBED_TO_TOPIC', 't2:0': 'NONE', 'gone-0:0': 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(Counted.parses).toBeGreaterThan(0); // the metadata seen is this array (the count can fail)
    expect(Counted.parses).toBeLessThanOrEqual(2);
  });
});

describe('offsets of deleted topics (onTopicsDeleted, Kafka onPartitionsDeleted)', () => {
  it('tombstones every group\'s offsets on the deleted topics, a subscribed one and one on its way included, and only those', () => {
    const c = new GroupCoordinator({ rng: new Rng(1), config: { groupInitialRebalanceDelayMs: 0 }, partitionExists: () => true });
    c.loadFrom([], 0);
    const committed = (out: GroupOutput): void => {
      for (const r of out.records) c.replay(r);
    };
    committed(c.handle(1, commit('a', [['t1', 0, 5], ['t1', 1, 6], ['t2', 0, 7]]), 1000));
    committed(c.handle(2, commit('b', [['t2', 1, 8], ['t3', 0, 9]]), 1000));
    const onTheWay = c.handle(3, commit('c', [['t1', 0, 1]]), 1000); // not yet replayed
    const out = c.onTopicsDeleted(new Set(['t1', 't2']));
    expect(out.records.map((r) => (r.type === 'OffsetCommit' ? `${r.key.group}/${r.key.topic}:${r.key.partition}=${r.value === null ? 'tombstone' : 'value'}` : r.type)).sort()).toEqual([
      'a/t1:0=tombstone',
      'a/t1:1=tombstone',
      'a/t2:0=tombstone',
      'b/t2:1=tombstone',
      'c/t1:0=tombstone',
    ]);
    // The commit on its way lands before its tombstone, as the log orders them.
    committed(onTheWay);
    committed(out);
    expect(c.committedOffsets('a')).toEqual([]);
    expect(c.committedOffsets('b').map((o) => `${o.topic}:${o.partition}`)).toEqual(['t3:0']);
    expect(c.committedOffsets('c')).toEqual([]);
    // Nothing left on them: nothing more to write.
    expect(c.onTopicsDeleted(new Set(['t1', 't2'])).records).toEqual([]);
  });
});
