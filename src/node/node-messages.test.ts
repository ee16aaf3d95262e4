import { describe, expect, it } from 'vitest';
import type { ControllerRequest } from '../metadata/requests.js';
import { decodeNodeRequest, decodeNodeResponse, encodeNodeRequest, encodeNodeResponse, nodeApiVersion } from '../protocol/wire/node-codec.js';
import type { Message } from '../raft/core/kraft.js';
import { encodeEntries } from '../raft/entry-batches.js';
import { MetadataImage } from '../metadata/image.js';
import type { Request } from '../protocol/requests.js';
import { MessageChannel } from 'node:worker_threads';
import { PeerTransport } from '../cluster/peer-transport.js';
import { InlineTransport } from '../transport/inline.js';
import { PortServer } from '../transport/port/port-server.js';
import { silentLogger } from '../util/logger.js';
import type { Transport } from '../transport/transport.js';
import { forTransfer } from '../transport/port/messages.js';
import { SimulatedTimerClock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { waitFor } from '../testing.js';
import { metadataTopicId } from '../util/uuid.js';
import { controllerRequestBody, controllerRequestFromBody, controllerResponseBody, controllerResponseFromBody } from './controller-messages.js';
import { NodeEndpoint } from './node-endpoint.js';
import { LeaderAndIsrSender } from './broker-link.js';
import { decodeNodeAnswer, decodeNodeMessage, encodeNodeAnswer, encodeNodeMessage, isRaftFrame, responseFrame, sendFrame, sendNodeRequest, type NodeRequest } from './node-requests.js';
import { TransportRaftNetwork } from './raft-link.js';
import { raftRequestBody, raftRequestFromBody, raftResponseBody, raftResponseFromBody, type RaftRequest, type RaftResponse } from './raft-messages.js';

/** A request of the core through its Kafka bytes, as the node it is for reads it. */
function viaWire(m: RaftRequest): RaftRequest {
  const { apiKey, version, body } = raftRequestBody(m, 'cluster-a');
  const { header, body: decoded } = decodeNodeRequest(encodeNodeRequest(apiKey, version, body));
  expect(header.apiKey).toBe(apiKey);
  return raftRequestFromBody(apiKey, decoded, m.to);
}

/** A response of the core through its Kafka bytes, as the node that sent `request` reads it. */
function answerViaWire(request: RaftRequest, m: RaftResponse): RaftResponse | null {
  const { apiKey, version } = raftRequestBody(request, null);
  const frame = encodeNodeResponse(apiKey, version, raftResponseBody(m));
  return raftResponseFromBody(request, decodeNodeResponse(apiKey, version, frame).body);
}

const vote: RaftRequest = { type: 'vote', from: 1, to: 2, epoch: 7, lastEpoch: 6, endOffset: 42, preVote: true };
const fetch: RaftRequest = { type: 'fetch', from: 3, to: 1, epoch: 7, fetchOffset: 10, lastFetchedEpoch: 6, highWatermark: 9 };
const fetchSnapshot: RaftRequest = { type: 'fetchSnapshot', from: 3, to: 1, epoch: 7, snapshotId: { endOffset: 100, epoch: 5 }, fetchOffset: 4, lastFetchedEpoch: 2 };
const entries = [
  { offset: 10, epoch: 7, data: null },
  { offset: 11, epoch: 7, data: new Uint8Array([1, 2, 3]) },
  { offset: 12, epoch: 7, data: new Uint8Array(0) },
];

describe("the Raft core's messages in KRaft's requests", () => {
  it('every request kind arrives as it was sent (FetchSnapshot echoes nothing: its offsets come back from the request)', () => {
    expect(viaWire(vote)).toEqual(vote);
    expect(viaWire({ ...vote, preVote: false })).toEqual({ ...vote, preVote: false });
    expect(viaWire({ type: 'beginEpoch', from: 1, to: 3, epoch: 8 })).toEqual({ type: 'beginEpoch', from: 1, to: 3, epoch: 8 });
    expect(viaWire(fetch)).toEqual(fetch);
    expect(viaWire({ ...fetch, highWatermark: -1 })).toEqual({ ...fetch, highWatermark: -1 });
    expect(viaWire(fetchSnapshot)).toEqual({ ...fetchSnapshot, fetchOffset: -1, lastFetchedEpoch: -1 });
  });

  it('every answer arrives as the core sent it, what it echoes taken from the request', () => {
    const granted: RaftResponse = { type: 'voteResponse', from: 2, to: 1, epoch: 7, granted: true, preVote: true, leaderId: -1, leaderEpoch: 7 };
    expect(answerViaWire(vote, granted)).toEqual(granted);
    const base = { type: 'fetchResponse' as const, from: 1, to: 3, epoch: 7, leaderId: 1, fetchOffset: 10, lastFetchedEpoch: 6 };
    const withEntries: RaftResponse = { ...base, entries, highWatermark: 11 };
    const got = answerViaWire(fetch, withEntries) as Extract<RaftResponse, { type: 'fetchResponse' }>;
    expect(got).toEqual({ ...withEntries, entries: entries.map((e) => ({ ...e, data: e.data === null ? null : expect.any(Uint8Array) })) });
    expect(got.entries.map((e) => (e.data === null ? null : [...e.data]))).toEqual([null, [1, 2, 3], []]);
    const diverging: RaftResponse = { ...base, entries: [], highWatermark: 5, diverging: { epoch: 5, endOffset: 8 } };
    expect(answerViaWire(fetch, diverging)).toEqual(diverging);
    const toSnapshot: RaftResponse = { ...base, entries: [], highWatermark: 50, snapshotId: { endOffset: 100, epoch: 5 } };
    expect(answerViaWire(fetch, toSnapshot)).toEqual(toSnapshot);
    const notLeader: RaftResponse = { ...base, leaderId: 2, epoch: 8, entries: [], highWatermark: -1 };
    expect(answerViaWire(fetch, notLeader)).toEqual(notLeader);
    const snap: RaftResponse = { type: 'fetchSnapshotResponse', from: 1, to: 3, epoch: 7, snapshot: { endOffset: 100, epoch: 5, data: new Uint8Array([9, 8]) }, fetchOffset: 4, lastFetchedEpoch: 2 };
    expect(answerViaWire(fetchSnapshot, snap)).toEqual({ ...snap, snapshot: { endOffset: 100, epoch: 5, data: expect.any(Uint8Array) } });
    const none: RaftResponse = { ...snap, snapshot: null };
    expect(answerViaWire(fetchSnapshot, none)).toEqual(none);
  });

  it('refuses what the core cannot take with a typed error', () => {
    const { version, body } = raftRequestBody(vote, null);
    const twoPartitions = { ...body, topics: [{ topicName: '__cluster_metadata', partitions: [{}, {}] }] };
    expect(() => raftRequestFromBody(52, decodeNodeRequest(encodeNodeRequest(52, version, twoPartitions as never)).body, 2)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    const otherTopic = { ...body, topics: [{ topicName: 'orders', partitions: [{ candidateId: 1 }] }] };
    expect(() => raftRequestFromBody(52, decodeNodeRequest(encodeNodeRequest(52, version, otherTopic as never)).body, 2)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    // Entries that do not start at the fetch offset, or whose batch is damaged.
    const misplaced = { ...raftResponseBody({ type: 'fetchResponse', from: 1, to: 3, epoch: 7, leaderId: 1, fetchOffset: 10, lastFetchedEpoch: 6, entries, highWatermark: 11 }) };
    expect(() => raftResponseFromBody({ ...fetch, fetchOffset: 11 } as RaftRequest, misplaced as Record<string, unknown>)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    const records = encodeEntries(entries, 1, 0).slice();
    records[records.length - 1]! ^= 0xff;
    const damaged = { responses: [{ topicId: metadataTopicId, partitions: [{ highWatermark: 1, currentLeader: { leaderId: 1, leaderEpoch: 7 }, records }] }] };
    expect(() => raftResponseFromBody(fetch, damaged)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });
});

describe("a broker's requests to the controller in Kafka's requests", () => {
  const requests: ControllerRequest[] = [
    { type: 'BrokerRegistration', brokerId: 2, clusterId: 'c1', incarnationId: 'AAAAAAAAAAAAAAAAAAAAAw', listeners: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }], rack: null },
    { type: 'BrokerHeartbeat', brokerId: 2, brokerEpoch: 17, currentMetadataOffset: 40 },
    { type: 'BrokerHeartbeat', brokerId: 2, brokerEpoch: 17, currentMetadataOffset: 40, wantShutDown: true, offlineReplicas: [{ topicId: 'AAAAAAAAAAAAAAAAAAAABA', partitionIndex: 3 }] },
    { type: 'AlterPartition', brokerId: 1, brokerEpoch: 5, topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAABA', partitions: [{ partitionIndex: 0, leaderEpoch: 2, newIsr: [1, 3], partitionEpoch: 4 }] }] },
    { type: 'AllocateProducerIds', brokerId: 1, brokerEpoch: 5 },
    { type: 'CreateTopics', topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], validateOnly: false },
    { type: 'DeleteTopics', topics: [{ name: 'orders' }, { topicId: 'AAAAAAAAAAAAAAAAAAAABA' }] },
    { type: 'CreatePartitions', topics: [{ name: 'orders', count: 6, assignments: null }], validateOnly: true },
    { type: 'IncrementalAlterConfigs', resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 'SET', value: '1000' }] }], validateOnly: false },
    // A client's AlterConfigs: forwarded as AlterConfigs (33), so `replace` arrives too.
    { type: 'IncrementalAlterConfigs', resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 'SET', value: '1000' }, { name: 'segment.ms', configOperation: 'DELETE', value: null }] }], validateOnly: false, replace: true },
  ];

  for (const r of requests) {
    it(`${r.type}${r.type === 'BrokerHeartbeat' && r.wantShutDown ? ' (shutdown, offline replicas)' : ''} arrives as it was sent`, () => {
      const { apiKey, version, body } = controllerRequestBody(r);
      const { body: decoded } = decodeNodeRequest(encodeNodeRequest(apiKey, version, body));
      expect(controllerRequestFromBody(apiKey, decoded).request).toEqual(r);
    });
  }

  it('answers arrive as the controller gave them, without errorMessage (no Kafka response here carries one)', () => {
    const cases: [ControllerRequest, Record<string, unknown>][] = [
      [requests[0]!, { errorCode: 'NONE', errorMessage: null, brokerEpoch: 31 }],
      [requests[1]!, { errorCode: 'STALE_BROKER_EPOCH', errorMessage: 'old', isCaughtUp: true, isFenced: false, shouldShutDown: false }],
      [requests[3]!, { errorCode: 'NONE', errorMessage: null, topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAABA', partitions: [{ partitionIndex: 0, errorCode: 'NONE', errorMessage: null, leaderId: 1, leaderEpoch: 2, isr: [1, 3], partitionEpoch: 5 }] }] }],
      [requests[4]!, { errorCode: 'NONE', errorMessage: null, producerIdStart: 1000, producerIdLen: 1000 }],
      [requests[6]!, { responses: [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAABA', errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', errorMessage: 'no such topic' }] }],
      [requests[9]!, { responses: [{ resourceType: 2, resourceName: 'orders', errorCode: 'INVALID_CONFIG', errorMessage: 'bad value' }] }],
    ];
    for (const [request, response] of cases) {
      const { apiKey, version, body } = controllerRequestBody(request);
      const { header, body: decoded } = decodeNodeRequest(encodeNodeRequest(apiKey, version, body));
      const { inner } = controllerRequestFromBody(apiKey, decoded);
      const frame = encodeNodeResponse(apiKey, header.apiVersion, controllerResponseBody(apiKey, response as never, inner));
      const back = controllerResponseFromBody(request, apiKey, decodeNodeResponse(apiKey, version, frame).body);
      expect(back).toEqual(apiKey === 58 ? response : { ...response, errorMessage: null });
    }
  });

  it('a controller request the broker never sends is refused', () => {
    expect(() => controllerRequestBody({ type: 'ElectLeaders', electionType: 'PREFERRED', topicPartitions: null })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
  });
});

/** A Raft replica that answers every vote with a grant and records what it got. */
function fakeReplica(net: TransportRaftNetwork, id: number, answer = true): Message[] {
  const got: Message[] = [];
  const t = net.transportFor(id);
  net.register(id, {
    receive: (m) => {
      got.push(m);
      if (answer && m.type === 'vote') t.send({ type: 'voteResponse', from: id, to: m.from, epoch: m.epoch, granted: true, preVote: m.preVote, leaderId: -1, leaderEpoch: m.epoch });
    },
  });
  return got;
}

describe('the node endpoint', () => {
  function twoNodes(): { nodes: InlineTransport; got1: Message[]; got2: Message[]; net1: TransportRaftNetwork; net2: TransportRaftNetwork } {
    const nodes = new InlineTransport();
    const net1 = new TransportRaftNetwork(nodes, undefined, 'cluster-a');
    const net2 = new TransportRaftNetwork(nodes, undefined, 'cluster-a');
    nodes.setNode(1, new NodeEndpoint(1, net1, 'cluster-a'));
    nodes.setNode(2, new NodeEndpoint(2, net2, 'cluster-a'));
    return { nodes, net1, net2, got1: fakeReplica(net1, 1), got2: fakeReplica(net2, 2) };
  }

  it("carries a vote as a Vote request and the core's answer as its response", async () => {
    const { got1, got2, net1 } = twoNodes();
    net1.transportFor(1).send(vote);
    // In one thread the answer takes turns of the event loop, not time: count turns.
    for (let i = 0; i < 1000 && got1.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(got2).toEqual([vote]);
    expect(got1).toEqual([{ type: 'voteResponse', from: 2, to: 1, epoch: 7, granted: true, preVote: true, leaderId: -1, leaderEpoch: 7 }]);
  });

  it('refuses garbage with a typed error and keeps serving', async () => {
    const { nodes, got1 } = twoNodes();
    const refused = async (request: unknown): Promise<string> => {
      try {
        await nodes.send(2, request as never);
        return 'answered';
      } catch (err) {
        expect(err).toBeInstanceOf(TributaryError);
        return (err as TributaryError).code;
      }
    };
    const good = encodeNodeRequest(52, nodeApiVersion(52), raftRequestBody(vote, 'cluster-a').body);
    expect(await refused({ apiKey: 52 })).toBe('INVALID_REQUEST'); // no frame
    expect(await refused({ apiKey: 52, frame: new Uint8Array([1, 2, 3]) })).toBe('INVALID_REQUEST');
    expect(await refused({ apiKey: 52, frame: good.subarray(0, good.length - 3) })).toBe('INVALID_REQUEST');
    expect(await refused({ apiKey: 53, frame: good })).toBe('INVALID_REQUEST'); // the frame says 52
    expect(await refused({ apiKey: 52, frame: encodeNodeRequest(52, 1, raftRequestBody(vote, 'cluster-b').body) })).toBe('INCONSISTENT_CLUSTER_ID');
    expect(await refused({ apiKey: 63, frame: encodeNodeRequest(63, 1, { brokerId: 1 }) })).toBe('NOT_CONTROLLER'); // no controller yet
    expect(await refused({ apiKey: 1, frame: new Uint8Array(64).fill(0xff) })).toBe('INVALID_REQUEST');
    expect(isRaftFrame({ apiKey: 52, frame: good })).toBe(true);
    expect(await refused({ apiKey: 52, apiVersion: 1 })).toBe('INVALID_REQUEST'); // typed, without a body
    expect(isRaftFrame({ apiKey: 52, frame: good })).toBe(true);
    // And the real thing still works, framed (as from another thread) and typed (as inline), with the same answer.
    const answer = await sendFrame(nodes, 2, 52, good);
    const framed = decodeNodeResponse(52, 1, answer).body;
    expect(framed.topics?.[0]?.partitions?.[0]?.voteGranted).toBe(true);
    const typed: NodeRequest = { apiKey: 52, apiVersion: nodeApiVersion(52), correlationId: 0, clientId: null, body: raftRequestBody(vote, 'cluster-a').body };
    expect(isRaftFrame(typed)).toBe(true);
    expect(await sendNodeRequest(nodes, 2, typed)).toMatchObject({ topics: [{ partitions: [{ voteGranted: true }] }] }); // the body as made, before the codec's defaults
    expect(got1).toEqual([]);
  });

  it('a newer request of the same kind replaces one the core has not answered; a closed replica fails the rest', async () => {
    const nodes = new InlineTransport();
    const net2 = new TransportRaftNetwork(nodes);
    nodes.setNode(2, new NodeEndpoint(2, net2));
    fakeReplica(net2, 2, false); // never answers
    const frame = (m: RaftRequest): Uint8Array => encodeNodeRequest(1, 17, raftRequestBody(m, null).body);
    const first = sendFrame(nodes, 2, 1, frame({ ...fetch, to: 2 }));
    const second = sendFrame(nodes, 2, 1, frame({ ...fetch, to: 2, fetchOffset: 11 }));
    await expect(first).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT' });
    net2.unregister(2);
    await expect(second).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' });
  });
});

describe('LeaderAndIsr, a leader telling its followers', () => {
  /** A transport to nodes 2 and 3 whose first `failures` sends to node 2 break (NETWORK_EXCEPTION). */
  function flaky(failures: number): { nodes: Transport; sent: { nodeId: number; topic: string | undefined }[]; attempts: () => number } {
    const sent: { nodeId: number; topic: string | undefined }[] = [];
    let attempts = 0;
    let left = failures;
    const nodes: Transport = {
      bootstrapNodes: () => [2, 3],
      close: () => {},
      send: (nodeId: number, request: Request) => {
        const { body, apiKey } = request as unknown as NodeRequest;
        expect(apiKey).toBe(4);
        attempts++;
        if (nodeId === 2 && left-- > 0) return Promise.reject(new TributaryError('NETWORK_EXCEPTION', 'broken'));
        sent.push({ nodeId, topic: (body as { topicStates?: { topicName?: string }[] }).topicStates?.[0]?.topicName });
        return Promise.resolve({ apiKey: 4, body: { errorCode: 'NONE', topics: [] } } as never);
      },
    };
    return { nodes, sent, attempts: () => attempts };
  }
  const settle = async (clock: SimulatedTimerClock): Promise<void> => {
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(100);
    }
  };

  it('is sent to every follower, and sent again while the link to one is broken', async () => {
    const clock = new SimulatedTimerClock(0);
    const { nodes, sent } = flaky(3);
    const sender = new LeaderAndIsrSender(nodes, 1, clock);
    sender.send(MetadataImage.empty, 'orders', 0, [1, 2, 3]);
    await settle(clock);
    expect(sent).toEqual([
      { nodeId: 3, topic: 'orders' },
      { nodeId: 2, topic: 'orders' },
    ]);
    sender.close();
  });

  it('stops sending again once closed', async () => {
    const clock = new SimulatedTimerClock(0);
    const { nodes, attempts } = flaky(1000);
    const sender = new LeaderAndIsrSender(nodes, 1, clock);
    sender.send(MetadataImage.empty, 'orders', 0, [2]);
    await settle(clock);
    const before = attempts();
    expect(before).toBeGreaterThan(3); // it kept trying
    sender.close();
    await settle(clock);
    expect(attempts()).toBe(before);
  });
});

describe('a typed node request and its answer, encoded where they cross a thread', () => {
  it('a node API and a client API (the replica Fetch) decode to what was encoded', () => {
    const vote1: NodeRequest = { apiKey: 52, apiVersion: nodeApiVersion(52), correlationId: 9, clientId: 'raft-client-1', body: raftRequestBody(vote, 'cluster-a').body };
    const back = decodeNodeMessage(encodeNodeMessage(vote1));
    expect(back).toMatchObject({ apiKey: 52, apiVersion: vote1.apiVersion, correlationId: 9, clientId: 'raft-client-1' });
    expect(encodeNodeMessage(back)).toEqual(encodeNodeMessage(vote1));
    const voteAnswer = raftResponseBody({ type: 'voteResponse', from: 2, to: 1, epoch: 7, granted: true, preVote: true, leaderId: -1, leaderEpoch: 7 });
    expect(decodeNodeAnswer(vote1, encodeNodeAnswer(vote1, voteAnswer))).toMatchObject({ topics: [{ partitions: [{ voteGranted: true }] }] });
    const fetchRequest = { apiKey: 1, replicaId: 2, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 5, partitionMaxBytes: 1 << 20 }] }] };
    const replicaFetch: NodeRequest = { apiKey: 1, apiVersion: 12, correlationId: 3, clientId: 'broker-2', body: fetchRequest };
    const decoded = decodeNodeMessage(encodeNodeMessage(replicaFetch));
    expect(decoded.apiVersion).toBe(12);
    expect(decoded.body).toMatchObject({ apiKey: 1, replicaId: 2, topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 5 }] }] });
    expect(isRaftFrame(replicaFetch)).toBe(false);
  });

  it('garbage bytes are refused with typed errors', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'decoded';
      } catch (err) {
        expect(err).toBeInstanceOf(TributaryError);
        return (err as TributaryError).code;
      }
    };
    expect(code(() => decodeNodeMessage(new Uint8Array([1, 2, 3])))).toBe('INVALID_REQUEST');
    expect(code(() => decodeNodeMessage(new Uint8Array(64).fill(0xff)))).toBe('UNSUPPORTED_VERSION'); // api key -1
    const vote1: NodeRequest = { apiKey: 52, apiVersion: nodeApiVersion(52), correlationId: 9, clientId: null, body: raftRequestBody(vote, 'cluster-a').body };
    expect(code(() => decodeNodeAnswer(vote1, new Uint8Array([0, 0, 0, 1, 9, 9])))).toBe('CORRUPT_MESSAGE');
  });
});

describe('between workers: typed inside a thread, Kafka bytes across the port', () => {
  it('a vote crosses a real port encoded and comes back typed; to itself nothing is encoded; garbage across the port is refused with a typed error', async () => {
    const { port1, port2 } = new MessageChannel();
    const peers1: PeerTransport = new PeerTransport(1, (): NodeEndpoint => endpoint1);
    const net1 = new TransportRaftNetwork(peers1, undefined, 'cluster-a');
    const endpoint1 = new NodeEndpoint(1, net1, 'cluster-a');
    const net2 = new TransportRaftNetwork(new InlineTransport(), undefined, 'cluster-a');
    const endpoint2 = new NodeEndpoint(2, net2, 'cluster-a');
    const got1 = fakeReplica(net1, 1);
    const got2 = fakeReplica(net2, 2);
    peers1.link(2, port1);
    new PortServer(port2, (to) => (to === 2 ? endpoint2 : undefined), silentLogger, () => {});
    try {
      net1.transportFor(1).send(vote);
      // A real port between threads: wall time, bounded for a loaded machine.
      await waitFor(() => got1.length > 0, { timeoutMs: 30_000, message: 'the vote answered across the port' });
      expect(got2).toEqual([vote]);
      expect(got1).toEqual([{ type: 'voteResponse', from: 2, to: 1, epoch: 7, granted: true, preVote: true, leaderId: -1, leaderEpoch: 7 }]);
      // Across the port the answer went through the codec (its defaults filled in); to itself, the object as made.
      const typed: NodeRequest = { apiKey: 52, apiVersion: nodeApiVersion(52), correlationId: 0, clientId: null, body: raftRequestBody({ ...vote, to: 1 }, 'cluster-a').body };
      const viaPort = await sendNodeRequest<Record<string, unknown>>(peers1, 2, { ...typed, body: raftRequestBody(vote, 'cluster-a').body });
      expect(viaPort).toMatchObject({ errorCode: 'NONE', nodeEndpoints: [], topics: [{ partitions: [{ voteGranted: true }] }] });
      const toSelf = await sendNodeRequest<Record<string, unknown>>(peers1, 1, typed);
      expect(toSelf).toMatchObject({ topics: [{ partitions: [{ voteGranted: true }] }] });
      expect('nodeEndpoints' in toSelf).toBe(false);
      for (const garbage of [new Uint8Array([1, 2, 3]), new Uint8Array(64).fill(0x7f)]) {
        const err: unknown = await peers1.send(2, { apiKey: 52, frame: garbage } as never).then(() => 'answered', (e: unknown) => e);
        expect(err).toBeInstanceOf(TributaryError);
        expect((err as TributaryError).code).toBe('INVALID_REQUEST');
      }
    } finally {
      await peers1.close();
      port2.close();
    }
  });
});

describe("a node's answer crosses a port without another copy", () => {
  it('hands over bytes made for the answer alone, and copies anything else', () => {
    const own = encodeNodeResponse(52, 1, { errorCode: 'NONE', topics: [] });
    const transfer: ArrayBuffer[] = [];
    const out = forTransfer(responseFrame(52, own), transfer) as { frame: Uint8Array };
    expect(out.frame).toBe(own);
    expect(transfer).toEqual([own.buffer]);
    const shared = new Uint8Array(64).subarray(8, 24); // part of a larger buffer: never transferred
    const transfer2: ArrayBuffer[] = [];
    const out2 = forTransfer(responseFrame(52, shared), transfer2) as { frame: Uint8Array };
    expect(out2.frame).not.toBe(shared);
    expect(transfer2[0]).not.toBe(shared.buffer);
  });
});
