/**
 * A replica Fetch answer between two node workers of one process (`threads: 'per-node'`)
 * served from the leader's tail crosses `checked`, and the follower takes it without a CRC
 * pass (node-requests.ts, `fetchAnswerFrame`: why that is no trust boundary). The request
 * and answer cross in a fixed binary layout (peer-fetch.ts, peer-fetch-layout.ts), checked
 * on each side as the codec checked the frames: garbage either way is a typed error. Here over a
 * real `MessageChannel`, `PeerTransport` on one side and a `PortServer` with a
 * `NodeEndpoint` on the other, whose broker answers the follower's Fetch from a real
 * leader `Partition` on files: the tail's answer arrives marked and is appended; an answer
 * with bytes that do not carry the leader's mark (its file's, say) arrives unmarked and is
 * checked (a damaged one refused); a `checked` on anything but a replica Fetch answer is
 * ignored.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { Broker } from '../broker/broker.js';
import { Partition, type PartitionFetchRequest } from '../broker/partition.js';
import { PeerTransport } from '../cluster/peer-transport.js';
import type * as P from '../protocol/index.js';
import { encodeNodeResponse, nodeApiVersion } from '../protocol/wire/node-codec.js';
import { encodeBatchUncompressed } from '../record/batch.js';
import { checksummedHere } from '../record/checksummed-here.js';
import { PartitionLog } from '../storage/partition-log.js';
import { PortServer } from '../transport/port/port-server.js';
import type { NodeHandler } from '../transport/transport.js';
import { silentLogger } from '../util/logger.js';
import { pairState, replicaPair } from '../../test/helpers/replica-pair.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { NodeEndpoint } from './node-endpoint.js';
import { sendNodeRequest, type NodeRequest } from './node-requests.js';
import { peerFetchAnswer, peerFetchMessage } from './peer-fetch.js';
import { TributaryError } from '../util/errors.js';
import { TransportRaftNetwork } from './raft-link.js';
import { InlineTransport } from '../transport/inline.js';

const tempDir = useTempDirs('tributary-fetch-trust-');
const state = pairState;

/** The follower's replica Fetch as its fetcher sends it, for one partition. */
function fetchRequest(req: PartitionFetchRequest): NodeRequest<P.FetchRequest> {
  return {
    apiKey: 1,
    apiVersion: 12,
    correlationId: 7,
    clientId: 'broker-2',
    body: {
      apiKey: 1,
      replicaId: 2,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 10 * 1024 * 1024,
      isolationLevel: 0,
      topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: req.fetchOffset, lastFetchedEpoch: req.lastFetchedEpoch, currentLeaderEpoch: req.currentLeaderEpoch, partitionMaxBytes: 1024 * 1024 }] }],
    } as P.FetchRequest,
  };
}

/** Node 1's endpoint behind a real port; its broker answers a Fetch with `records(leaderAnswer)`. */
async function leaderBehindPort(answer: (fetch: P.FetchRequest) => P.FetchResponse): Promise<{ peers: PeerTransport; close: () => Promise<void> }> {
  const { port1, port2 } = new MessageChannel();
  const endpoint = new NodeEndpoint(1, new TransportRaftNetwork(new InlineTransport()), 'cluster-a');
  endpoint.broker = { handle: (r: P.FetchRequest) => Promise.resolve(answer(r)) } as unknown as Broker;
  endpoint.serving = true;
  new PortServer(port2, (to) => (to === 1 ? endpoint : undefined), silentLogger, () => {});
  const peers = new PeerTransport(2, () => undefined);
  peers.link(1, port1);
  return {
    peers,
    close: async () => {
      await peers.close();
      port2.close();
    },
  };
}

function fetchResponse(records: Uint8Array, highWatermark: number): P.FetchResponse {
  return {
    apiKey: 1,
    errorCode: 'NONE',
    sessionId: 0,
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 'NONE', highWatermark, lastStableOffset: highWatermark, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records }] }],
  } as P.FetchResponse;
}

function recordsOf(res: P.FetchResponse): Uint8Array {
  return res.responses[0]!.partitions[0]!.records ?? new Uint8Array(0);
}

describe("a replica Fetch answer from the leader's tail, between node workers", () => {
  it('crosses a real port marked checked; the follower appends it with the mark, the same bytes as the leader wrote', async () => {
    const { leader, follower } = await replicaPair(tempDir);
    const [leaderLog, followerLog] = [leader.log, follower.log];
    // The leader checks the batch's CRC as it enters (no producer's mark: it came from another thread).
    const batch = encodeBatchUncompressed(Array.from({ length: 20 }, (_, i) => ({ value: Buffer.alloc(300, i) })), { now: 1000 });
    expect(leader.appendAsLeader(batch, { acks: 1 }, 0).errorCode).toBe('NONE');
    let served: Uint8Array | undefined;
    const link = await leaderBehindPort((f) => {
      const p = f.topics[0]!.partitions[0]!;
      const { response } = leader.fetchAsLeader({ fetchOffset: p.fetchOffset, lastFetchedEpoch: p.lastFetchedEpoch, currentLeaderEpoch: p.currentLeaderEpoch, replicaId: 2 } as PartitionFetchRequest, 1);
      served = response.records;
      return fetchResponse(response.records, response.highWatermark);
    });
    try {
      const req = follower.followerFetchRequest()!;
      const res = await sendNodeRequest<P.FetchResponse>(link.peers, 1, fetchRequest(req));
      expect(checksummedHere(served!)).toBe(true); // the leader answered from its tail
      const records = recordsOf(res);
      expect(checksummedHere(records)).toBe(true);
      expect(Buffer.from(records).equals(Buffer.from(served!))).toBe(true);
      const out = follower.appendAsFollower(req, { errorCode: 'NONE', highWatermark: 0, logStartOffset: 0, logEndOffset: -1, leaderEpoch: 1, records });
      expect(out.appended?.recordCount).toBe(20);
      expect(Buffer.from(followerLog.read(0).records).equals(Buffer.from(leaderLog.read(0).records))).toBe(true);
    } finally {
      await link.close();
      await leaderLog.close();
      await followerLog.close();
    }
  });

  it('bytes without the leader mark (its file, a copy) cross unmarked and are checked: a damaged batch is refused, nothing appended', async () => {
    const followerLog = await PartitionLog.open({ dataDir: tempDir(), topic: 't', partition: 0 });
    const follower = new Partition({ log: followerLog, brokerId: 2 });
    follower.makeFollower(state, 0);
    const batch = Buffer.from(encodeBatchUncompressed(Array.from({ length: 5 }, (_, i) => ({ value: Buffer.alloc(200, i) })), { now: 1000 }));
    batch.writeInt32BE(1, 12); // the leader epoch, as the leader's log stamps it (outside the CRC)
    batch[batch.length - 1] = batch[batch.length - 1]! ^ 0xff; // damaged where the CRC covers it
    const link = await leaderBehindPort(() => fetchResponse(batch, 5));
    try {
      const req = follower.followerFetchRequest()!;
      const records = recordsOf(await sendNodeRequest<P.FetchResponse>(link.peers, 1, fetchRequest(req)));
      expect(checksummedHere(records)).toBe(false);
      const out = follower.appendAsFollower(req, { errorCode: 'NONE', highWatermark: 5, logStartOffset: 0, logEndOffset: -1, leaderEpoch: 1, records });
      expect(out.errorCode).toBe('CORRUPT_MESSAGE');
      expect(follower.logEndOffset).toBe(0);
    } finally {
      await link.close();
      await followerLog.close();
    }
  });

  it('a checked mark on any other answer (a Raft Fetch, a vote) is ignored', async () => {
    const { port1, port2 } = new MessageChannel();
    // A peer that marks everything it answers: only a replica Fetch answer may carry the mark.
    const raftFetchAnswer = encodeNodeResponse(1, nodeApiVersion(1), {
      errorCode: 'NONE',
      responses: [{ topicId: undefined, partitions: [{ partitionIndex: 0, errorCode: 'NONE', highWatermark: 0, records: encodeBatchUncompressed([{ value: Buffer.alloc(100) }], { now: 1 }) }] }],
    } as never);
    const forger: NodeHandler = { handle: () => Promise.resolve({ apiKey: 1, frame: raftFetchAnswer, checked: true } as never) };
    new PortServer(port2, (to) => (to === 1 ? forger : undefined), silentLogger, () => {});
    const peers = new PeerTransport(2, () => undefined);
    peers.link(1, port1);
    try {
      const raftFetch: NodeRequest = {
        apiKey: 1,
        apiVersion: nodeApiVersion(1),
        correlationId: 1,
        clientId: null,
        body: { replicaState: { replicaId: 2, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 0, maxBytes: 1024, topics: [{ topicId: undefined, partitions: [{ partition: 0, fetchOffset: 0, lastFetchedEpoch: 0, currentLeaderEpoch: 1 }] }] },
      };
      const body = await sendNodeRequest<{ responses: { partitions: { records: Uint8Array }[] }[] }>(peers, 1, raftFetch);
      const records = body.responses[0]!.partitions[0]!.records;
      expect(records.length).toBeGreaterThan(0);
      expect(checksummedHere(records)).toBe(false);
    } finally {
      await peers.close();
      port2.close();
    }
  });

  it('garbage across the port is a typed error: a malformed peer fetch is INVALID_REQUEST at the leader, a malformed answer CORRUPT_MESSAGE at the follower', async () => {
    const code = (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'answered',
        (e: unknown) => (e instanceof TributaryError ? e.code : `untyped ${String(e)}`),
      );
    // The leader's side: what a peer posts as a peer fetch.
    const link = await leaderBehindPort(() => fetchResponse(new Uint8Array(0), 0));
    try {
      const raw = (m: unknown): Promise<unknown> => link.peers['links'].get(1)!.send(1, m as never);
      const good = fetchRequest({ fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 1 } as PartitionFetchRequest);
      const bytes = peerFetchMessage(good).peerFetch;
      expect(await code(raw({ apiKey: 1, peerFetch: null }))).toBe('INVALID_REQUEST');
      expect(await code(raw({ apiKey: 1, peerFetch: good }))).toBe('INVALID_REQUEST'); // the typed object of session 8: no longer taken
      expect(await code(raw({ apiKey: 1, peerFetch: peerFetchMessage({ ...good, apiVersion: 17 }).peerFetch }))).toBe('INVALID_REQUEST'); // KRaft's Fetch
      expect(await code(raw({ apiKey: 1, peerFetch: peerFetchMessage({ ...good, body: { ...good.body, minBytes: -5 } }).peerFetch }))).toBe('INVALID_REQUEST'); // the validator's
      expect(await code(raw({ apiKey: 1, peerFetch: bytes.subarray(0, bytes.length - 1) }))).toBe('INVALID_REQUEST');
      expect(await code(raw({ apiKey: 1, peerFetch: bytes }))).toBe('answered');
    } finally {
      await link.close();
    }
    // The follower's side: what a peer answers.
    const answers: unknown[] = [
      { apiKey: 1, peerFetchAnswer: null },
      { apiKey: 1, peerFetchAnswer: new Uint8Array(40) },
      { apiKey: 2, peerFetchAnswer: peerFetchAnswer(fetchResponse(new Uint8Array(10), 0)).peerFetchAnswer },
      { apiKey: 1, body: null },
      { apiKey: 1, body: { responses: 'x' } },
      { apiKey: 1, body: { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 'NONE', highWatermark: 0, logStartOffset: 0, records: 'bytes' }] }] } },
      { apiKey: 1, body: { responses: [{ topic: 't', partitions: [{ partitionIndex: 'zero', errorCode: 'NONE', highWatermark: 0, logStartOffset: 0 }] }] } },
      { apiKey: 1, body: { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 'NONE', highWatermark: 0, logStartOffset: 0, divergingEpoch: { epoch: 'x' } }] }] } },
      { frame: new Uint8Array(3) },
    ];
    for (const garbage of answers) {
      const { port1, port2 } = new MessageChannel();
      new PortServer(port2, (to) => (to === 1 ? { handle: () => Promise.resolve(garbage as never) } : undefined), silentLogger, () => {});
      const peers = new PeerTransport(2, () => undefined);
      peers.link(1, port1);
      try {
        const req = fetchRequest({ fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 1 } as PartitionFetchRequest);
        expect(await code(sendNodeRequest(peers, 1, req))).toBe('CORRUPT_MESSAGE');
      } finally {
        await peers.close();
        port2.close();
      }
    }
  });
});
