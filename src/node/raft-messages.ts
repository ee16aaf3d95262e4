/**
 * The Raft core's messages in KRaft's own requests and responses:
 *
 * | core message | Kafka | fields |
 * | --- | --- | --- |
 * | `vote` | VoteRequest (52) v1 | candidateId = from, candidateEpoch = epoch, lastOffsetEpoch = lastEpoch, lastOffset = endOffset, voterId = to, `preVote` (Tributary tag 100) |
 * | `voteResponse` | VoteResponse (52) | voteGranted = granted, leaderId, leaderEpoch = epoch (the core's two are equal); preVote from the request it answers |
 * | `beginEpoch` | BeginQuorumEpochRequest (53) v1 | leaderId = from, leaderEpoch = epoch; the response is an acknowledgement the core never needed |
 * | `fetch` | FetchRequest (1) v17 | replicaState.replicaId = from, currentLeaderEpoch = epoch, fetchOffset, lastFetchedEpoch, `highWatermark` (Tributary tag 100), topic `__cluster_metadata` by its id |
 * | `fetchResponse` | FetchResponse (1) v17 | currentLeader = { leaderId, leaderEpoch = epoch }, highWatermark (-1 with NOT_LEADER_OR_FOLLOWER), divergingEpoch, snapshotId, entries as record batches; fetchOffset and lastFetchedEpoch from the request it answers |
 * | `fetchSnapshot` | FetchSnapshotRequest (59) v1 | replicaId = from, currentLeaderEpoch = epoch, snapshotId, position 0 |
 * | `fetchSnapshotResponse` | FetchSnapshotResponse (59) | the whole snapshot in `bytes` (size = its length, position 0), SNAPSHOT_NOT_FOUND for none; currentLeader = { from, epoch } |
 *
 * A response travels as the answer to its request (as in KRaft), so what a response only
 * echoes of its request (the fetch's offset and epoch, the vote's pre-vote flag) is taken
 * from the request on the side that sent it, never carried.
 * @internal
 */
import type { Message, NodeId } from '../raft/core/kraft.js';
import { decodeEntries, encodeEntries } from '../raft/entry-batches.js';
import { nodeApiVersion, type NodeApiKey, type NodeRequestBody, type NodeResponseBody } from '../protocol/wire/node-codec.js';
import { TributaryError } from '../util/errors.js';
import { metadataTopicId } from '../util/uuid.js';

/** KRaft's metadata partition. */
export const metadataTopic = '__cluster_metadata';

export type RaftRequest = Extract<Message, { type: 'vote' | 'beginEpoch' | 'fetch' | 'fetchSnapshot' }>;
export type RaftResponse = Extract<Message, { type: 'voteResponse' | 'fetchResponse' | 'fetchSnapshotResponse' }>;
export type RaftApiKey = 1 | 52 | 53 | 59;

/** The most bytes a fetch asks for (Kafka's default `fetch.max.bytes`-like bound; the core bounds entries by count). */
const fetchBytesMax = 0x7fffffff;

/** Whether a core message is a request (the others answer one). */
export function isRaftRequest(m: Message): m is RaftRequest {
  return m.type === 'vote' || m.type === 'beginEpoch' || m.type === 'fetch' || m.type === 'fetchSnapshot';
}

/** The api key a request travels as. */
export function raftApiKey(m: RaftRequest): RaftApiKey {
  switch (m.type) {
    case 'vote':
      return 52;
    case 'beginEpoch':
      return 53;
    case 'fetch':
      return 1;
    case 'fetchSnapshot':
      return 59;
  }
}

/** The kind of request a response answers (one request of each kind per peer waits for its answer). */
export function answeredKind(m: RaftResponse): RaftRequest['type'] {
  return m.type === 'voteResponse' ? 'vote' : m.type === 'fetchResponse' ? 'fetch' : 'fetchSnapshot';
}

/** A request as its Kafka body, at the version nodes send it. */
export function raftRequestBody(m: RaftRequest, clusterId: string | null): { apiKey: RaftApiKey; version: number; body: NodeRequestBody<RaftApiKey> } {
  switch (m.type) {
    case 'vote':
      return {
        apiKey: 52,
        version: nodeApiVersion(52),
        body: {
          clusterId,
          voterId: m.to,
          topics: [{ topicName: metadataTopic, partitions: [{ partitionIndex: 0, candidateEpoch: m.epoch, candidateId: m.from, lastOffsetEpoch: m.lastEpoch, lastOffset: m.endOffset, preVote: m.preVote }] }],
        } satisfies NodeRequestBody<52>,
      };
    case 'beginEpoch':
      return {
        apiKey: 53,
        version: nodeApiVersion(53),
        body: { clusterId, voterId: m.to, topics: [{ topicName: metadataTopic, partitions: [{ partitionIndex: 0, leaderId: m.from, leaderEpoch: m.epoch }] }], leaderEndpoints: [] } satisfies NodeRequestBody<53>,
      };
    case 'fetch':
      return {
        apiKey: 1,
        version: nodeApiVersion(1),
        body: {
          clusterId,
          replicaState: { replicaId: m.from, replicaEpoch: -1 },
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: fetchBytesMax,
          topics: [
            {
              topicId: metadataTopicId,
              partitions: [{ partition: 0, currentLeaderEpoch: m.epoch, fetchOffset: m.fetchOffset, lastFetchedEpoch: m.lastFetchedEpoch, partitionMaxBytes: fetchBytesMax, highWatermark: m.highWatermark }],
            },
          ],
          forgottenTopicsData: [],
        } satisfies NodeRequestBody<1>,
      };
    case 'fetchSnapshot':
      return {
        apiKey: 59,
        version: nodeApiVersion(59),
        body: {
          clusterId,
          replicaId: m.from,
          maxBytes: fetchBytesMax,
          topics: [{ name: metadataTopic, partitions: [{ partition: 0, currentLeaderEpoch: m.epoch, snapshotId: { endOffset: m.snapshotId.endOffset, epoch: m.snapshotId.epoch }, position: 0 }] }],
        } satisfies NodeRequestBody<59>,
      };
  }
}

function invalid(why: string): never {
  throw new TributaryError('INVALID_REQUEST', `a Raft request ${why}`);
}

function corrupt(why: string): never {
  throw new TributaryError('CORRUPT_MESSAGE', `a Raft response ${why}`);
}

/** The one metadata partition of a request's or response's topics, or a typed error naming what is wrong. */
function onlyPartition<P>(topics: readonly { readonly partitions?: readonly P[] }[] | undefined, topicOk: (t: never) => boolean, fail: (why: string) => never): P {
  if (topics === undefined || topics.length !== 1) return fail(`names ${topics?.length ?? 0} topics, not one`);
  const t = topics[0]!;
  if (!topicOk(t as never)) return fail(`is not for ${metadataTopic}`);
  const parts = t.partitions ?? [];
  if (parts.length !== 1) return fail(`names ${parts.length} partitions, not one`);
  return parts[0]!;
}

const byName = (t: { topicName?: string; name?: string }): boolean => (t.topicName ?? t.name) === metadataTopic;
const byId = (t: { topicId?: string }): boolean => t.topicId === metadataTopicId;

function int(v: number | undefined, what: string, fail: (why: string) => never): number {
  if (v === undefined || !Number.isSafeInteger(v)) return fail(`has no ${what}`);
  return v;
}

/**
 * A decoded request body as the core's message to `to`. `INVALID_REQUEST` when it is not
 * one the core can take (other topics, several partitions, a negative id).
 */
export function raftRequestFromBody(apiKey: RaftApiKey, body: Record<string, unknown>, to: NodeId): RaftRequest {
  switch (apiKey) {
    case 52: {
      const b = body as NodeRequestBody<52>;
      const p = onlyPartition(b.topics, byName, invalid);
      return {
        type: 'vote',
        from: nodeIdOf(p.candidateId, invalid),
        to,
        epoch: int(p.candidateEpoch, 'candidate epoch', invalid),
        lastEpoch: int(p.lastOffsetEpoch, 'last offset epoch', invalid),
        endOffset: int(p.lastOffset, 'last offset', invalid),
        preVote: p.preVote ?? false,
      };
    }
    case 53: {
      const b = body as NodeRequestBody<53>;
      const p = onlyPartition(b.topics, byName, invalid);
      return { type: 'beginEpoch', from: nodeIdOf(p.leaderId, invalid), to, epoch: int(p.leaderEpoch, 'leader epoch', invalid) };
    }
    case 1: {
      const b = body as NodeRequestBody<1>;
      const p = onlyPartition(b.topics, byId, invalid);
      return {
        type: 'fetch',
        from: nodeIdOf(b.replicaState?.replicaId, invalid),
        to,
        epoch: int(p.currentLeaderEpoch, 'current leader epoch', invalid),
        fetchOffset: int(p.fetchOffset, 'fetch offset', invalid),
        lastFetchedEpoch: int(p.lastFetchedEpoch, 'last fetched epoch', invalid),
        highWatermark: int(p.highWatermark ?? -1, 'high watermark', invalid),
      };
    }
    case 59: {
      const b = body as NodeRequestBody<59>;
      const p = onlyPartition(b.topics, byName, invalid);
      const s = p.snapshotId;
      return {
        type: 'fetchSnapshot',
        from: nodeIdOf(b.replicaId, invalid),
        to,
        epoch: int(p.currentLeaderEpoch, 'current leader epoch', invalid),
        snapshotId: { endOffset: int(s?.endOffset, 'snapshot end offset', invalid), epoch: int(s?.epoch, 'snapshot epoch', invalid) },
        // Only echoed in the answer, and the asking side takes them from its own request.
        fetchOffset: -1,
        lastFetchedEpoch: -1,
      };
    }
  }
}

function nodeIdOf(v: number | undefined, fail: (why: string) => never): NodeId {
  if (v === undefined || !Number.isInteger(v) || v < 0) return fail(`names no replica (${String(v)})`);
  return v;
}

/** The response body that answers `request` with the core's `m`. */
export function raftResponseBody(m: RaftResponse): NodeResponseBody<RaftApiKey> {
  switch (m.type) {
    case 'voteResponse':
      return {
        errorCode: 'NONE',
        topics: [{ topicName: metadataTopic, partitions: [{ partitionIndex: 0, errorCode: 'NONE', leaderId: m.leaderId, leaderEpoch: m.leaderEpoch, voteGranted: m.granted }] }],
      } satisfies NodeResponseBody<52>;
    case 'fetchResponse':
      return {
        throttleTimeMs: 0,
        errorCode: 'NONE',
        sessionId: 0,
        responses: [
          {
            topicId: metadataTopicId,
            partitions: [
              {
                partitionIndex: 0,
                errorCode: m.highWatermark < 0 && m.diverging === undefined && m.snapshotId === undefined ? 'NOT_LEADER_OR_FOLLOWER' : 'NONE',
                highWatermark: m.highWatermark,
                ...(m.diverging !== undefined ? { divergingEpoch: { epoch: m.diverging.epoch, endOffset: m.diverging.endOffset } } : {}),
                currentLeader: { leaderId: m.leaderId, leaderEpoch: m.epoch },
                ...(m.snapshotId !== undefined ? { snapshotId: { endOffset: m.snapshotId.endOffset, epoch: m.snapshotId.epoch } } : {}),
                records: encodeEntries(m.entries, m.leaderId, 0),
              },
            ],
          },
        ],
      } satisfies NodeResponseBody<1>;
    case 'fetchSnapshotResponse': {
      const s = m.snapshot;
      return {
        throttleTimeMs: 0,
        errorCode: 'NONE',
        topics: [
          {
            name: metadataTopic,
            partitions: [
              {
                index: 0,
                errorCode: s === null ? 'SNAPSHOT_NOT_FOUND' : 'NONE',
                snapshotId: { endOffset: s?.endOffset ?? -1, epoch: s?.epoch ?? -1 },
                currentLeader: { leaderId: m.from, leaderEpoch: m.epoch },
                size: s?.data.length ?? 0,
                position: 0,
                bytes: s?.data ?? new Uint8Array(0),
              },
            ],
          },
        ],
      } satisfies NodeResponseBody<59>;
    }
  }
}

/** BeginQuorumEpoch's acknowledgement. */
export function beginEpochResponseBody(m: Extract<Message, { type: 'beginEpoch' }>): NodeResponseBody<53> {
  return { errorCode: 'NONE', topics: [{ topicName: metadataTopic, partitions: [{ partitionIndex: 0, errorCode: 'NONE', leaderId: m.from, leaderEpoch: m.epoch }] }] };
}

/**
 * A decoded response body as the core's message, for the request `request` this node sent
 * (to `request.to`). Null for BeginQuorumEpoch's acknowledgement (the core expects none).
 * `CORRUPT_MESSAGE` when it is not one the core can take.
 */
export function raftResponseFromBody(request: RaftRequest, body: Record<string, unknown>): RaftResponse | null {
  const from = request.to;
  const to = request.from;
  const top = body.errorCode;
  if (top !== undefined && top !== 'NONE') corrupt(`carries error ${String(top)}`);
  switch (request.type) {
    case 'beginEpoch':
      return null;
    case 'vote': {
      const p = onlyPartition((body as NodeResponseBody<52>).topics, byName, corrupt);
      const leaderEpoch = int(p.leaderEpoch, 'leader epoch', corrupt);
      return { type: 'voteResponse', from, to, epoch: leaderEpoch, granted: p.voteGranted ?? false, preVote: request.preVote, leaderId: int(p.leaderId, 'leader id', corrupt), leaderEpoch };
    }
    case 'fetch': {
      const p = onlyPartition((body as NodeResponseBody<1>).responses, byId, corrupt);
      const d = p.divergingEpoch;
      const s = p.snapshotId;
      return {
        type: 'fetchResponse',
        from,
        to,
        epoch: int(p.currentLeader?.leaderEpoch ?? -1, 'leader epoch', corrupt),
        leaderId: int(p.currentLeader?.leaderId ?? -1, 'leader id', corrupt),
        fetchOffset: request.fetchOffset,
        lastFetchedEpoch: request.lastFetchedEpoch,
        entries: p.records === null || p.records === undefined ? [] : decodeEntries(p.records, request.fetchOffset),
        highWatermark: int(p.highWatermark, 'high watermark', corrupt),
        ...(d !== undefined ? { diverging: { epoch: int(d.epoch, 'diverging epoch', corrupt), endOffset: int(d.endOffset, 'diverging end offset', corrupt) } } : {}),
        ...(s !== undefined ? { snapshotId: { endOffset: int(s.endOffset, 'snapshot end offset', corrupt), epoch: int(s.epoch, 'snapshot epoch', corrupt) } } : {}),
      };
    }
    case 'fetchSnapshot': {
      const p = onlyPartition((body as NodeResponseBody<59>).topics, byName, corrupt);
      const epoch = int(p.currentLeader?.leaderEpoch ?? -1, 'leader epoch', corrupt);
      let snapshot = null;
      if (p.errorCode === 'NONE') {
        const bytes = p.bytes ?? new Uint8Array(0);
        if (p.position !== 0 || p.size !== bytes.length) corrupt(`holds bytes ${p.position ?? '?'}+${bytes.length} of a snapshot of ${p.size ?? '?'}: only whole snapshots are sent`);
        snapshot = { endOffset: int(p.snapshotId?.endOffset, 'snapshot end offset', corrupt), epoch: int(p.snapshotId?.epoch, 'snapshot epoch', corrupt), data: bytes };
      }
      return { type: 'fetchSnapshotResponse', from, to, epoch, snapshot, fetchOffset: request.fetchOffset, lastFetchedEpoch: request.lastFetchedEpoch };
    }
  }
}

/** Whether the core's response `m` answers the request `waiting` (not an older one of the same kind). */
export function answers(m: RaftResponse, waiting: RaftRequest): boolean {
  if (m.type === 'voteResponse') return waiting.type === 'vote' && waiting.preVote === m.preVote;
  if (m.type === 'fetchResponse') return waiting.type === 'fetch' && waiting.fetchOffset === m.fetchOffset && waiting.lastFetchedEpoch === m.lastFetchedEpoch;
  return waiting.type === 'fetchSnapshot';
}

export type { NodeApiKey };
