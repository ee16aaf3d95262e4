/**
 * The calling thread's Produce requests relayed to a node's worker (relayed-produce.ts),
 * over a real `MessageChannel` between the relay's `PortTransport` and a `PortServer` as the
 * node's worker runs it. Laid out by the port transport, they keep the producer's
 * checksummed-here mark: only when every batch carried it, and only on a port the server
 * trusts. A Produce request that crosses typed (one a Kafka listener relays) has its answer
 * checked where it arrives (`takeProduceAnswer`): anything the producer would misread is
 * `CORRUPT_MESSAGE`.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../broker/request-context.js';
import type { ProduceRequest } from '../protocol/produce.js';
import type { Request } from '../protocol/requests.js';
import { encodeBatchUncompressed } from '../record/batch.js';
import { checksummedHere, markChecksummedHere } from '../record/checksummed-here.js';
import { PortServer } from '../transport/port/port-server.js';
import { PortTransport } from '../transport/port/port-transport.js';
import type { NodeHandler } from '../transport/transport.js';
import { silentLogger } from '../util/logger.js';
import { TributaryError } from '../util/errors.js';
import { relayToNode, takeProduceAnswer } from './relayed-produce.js';

function produce(marked: readonly boolean[]): ProduceRequest {
  return {
    apiKey: 0,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: 't',
        partitionData: marked.map((m, index) => {
          const records = encodeBatchUncompressed([{ value: Buffer.alloc(100, index) }], { now: 1 });
          if (m) markChecksummedHere(records);
          return { index, records };
        }),
      },
    ],
  };
}

/** Relays `request` (with `context`, a Kafka listener's) as the supervisor does, and returns whether each batch arrived marked in the node's thread. */
async function relay(request: Request, trustContext: boolean, context?: RequestContext): Promise<boolean[]> {
  const { port1, port2 } = new MessageChannel();
  let seen: boolean[] = [];
  const node: NodeHandler = {
    handle: (r) => {
      seen = ((r as ProduceRequest).topicData ?? []).flatMap((t) => t.partitionData.map((p) => p.records !== null && checksummedHere(p.records)));
      return Promise.resolve(goodAnswer(r as ProduceRequest) as never);
    },
  };
  new PortServer(port2, (to) => (to === 1 ? node : undefined), silentLogger, () => {}, trustContext);
  const clients = new PortTransport(port1, [1], undefined, { clientId: 'consumer', clientHost: 'inline' });
  try {
    await relayToNode(clients, 1, request, context);
    return seen;
  } finally {
    await clients.close();
    port2.close();
  }
}

describe("a Produce request's hop from the calling thread to a node's worker", () => {
  it("keeps the producer's mark when every batch carried it, on the supervisor's trusted port", async () => {
    expect(await relay(produce([true, true, true]), true)).toEqual([true, true, true]);
  });

  it('marks nothing when one batch lacked the mark (bytes from a handle or a listener), or when the port does not trust contexts', async () => {
    expect(await relay(produce([true, false, true]), true)).toEqual([false, false, false]);
    expect(await relay(produce([true, true]), false)).toEqual([false, false]);
  });

  it('marks nothing that crosses typed: a Produce request a Kafka listener relays', async () => {
    expect(await relayAs(produce([true, true]), listener)).toEqual([false, false]);
  });
});

/** The context of a request a Kafka listener relays: it crosses typed, with its context. */
const listener: RequestContext = { listenerName: 'PLAINTEXT', clientId: 'kafkajs', clientHost: '127.0.0.1', principal: null };

function relayAs(request: Request, context: RequestContext): Promise<boolean[]> {
  return relay(request, true, context);
}

/** Node 1 behind a real port, answering every request with `answer(request)`; the relay's side of it. */
function nodeAnswering(answer: (r: Request) => unknown): { clients: PortTransport; close: () => Promise<void> } {
  const { port1, port2 } = new MessageChannel();
  const node: NodeHandler = {
    handle: (r) => Promise.resolve(answer(r) as never),
  };
  new PortServer(port2, (to) => (to === 1 ? node : undefined), silentLogger, () => {}, true);
  const clients = new PortTransport(port1, [1], undefined, { clientId: 'relay', clientHost: 'inline' });
  return {
    clients,
    close: async () => {
      await clients.close();
      port2.close();
    },
  };
}

const codeOf = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (err: unknown) => (err instanceof TributaryError ? err.code : `untyped: ${String(err)}`));

/** The answer the broker gives `r` (KafkaApis: its topics and partitions in the request's order). */
function goodAnswer(r: ProduceRequest): object {
  return { apiKey: 0, throttleTimeMs: 0, responses: r.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 'NONE', baseOffset: 10, logAppendTimeMs: -1, logStartOffset: 0 })) })) };
}

describe("a Produce answer's hop back to the calling thread", () => {
  it('the transport decides once whether a Produce request crosses laid out, and says so to the relay', async () => {
    const node = nodeAnswering((r) => (r.apiKey === 0 ? goodAnswer(r as ProduceRequest) : { apiKey: 3, anything: 1 }));
    const listener: RequestContext = { listenerName: 'PLAINTEXT', clientId: 'kcat', clientHost: '/127.0.0.1', principal: null, apiVersion: 9 };
    try {
      const laid = node.clients.relay(1, produce([true]), undefined);
      const typed = node.clients.relay(1, produce([true]), listener);
      const other = node.clients.relay(1, { apiKey: 3, topics: null } as unknown as Request, undefined);
      expect([laid.laid, typed.laid, other.laid]).toEqual([true, false, false]);
      expect(await laid.answer).toEqual(goodAnswer(produce([true])));
      expect(await typed.answer).toEqual(goodAnswer(produce([true])));
      expect(await other.answer).toEqual({ apiKey: 3, anything: 1 });
    } finally {
      await node.close();
    }
  });

  it('a well-formed answer arrives as it was sent; any other request passes unchecked', async () => {
    const request = produce([true, true]);
    const node = nodeAnswering((r) => (r.apiKey === 0 ? goodAnswer(r as ProduceRequest) : { apiKey: 3, anything: 1 }));
    try {
      expect(await relayToNode(node.clients, 1, request, undefined)).toEqual(goodAnswer(request));
      expect(await relayToNode(node.clients, 1, { apiKey: 3, topics: null } as unknown as Request, undefined)).toEqual({ apiKey: 3, anything: 1 });
    } finally {
      await node.close();
    }
  });

  it('a garbled answer to a typed Produce request (a Kafka listener relays it) is CORRUPT_MESSAGE, each field the producer reads', async () => {
    const request = produce([true, true]);
    const good = goodAnswer(request) as { responses: { partitionResponses: Record<string, unknown>[] }[] };
    const withPartition = (change: Record<string, unknown>): object => ({ ...good, responses: [{ ...good.responses[0], partitionResponses: [{ ...good.responses[0]!.partitionResponses[0], ...change }, good.responses[0]!.partitionResponses[1]] }] });
    const garbled: unknown[] = [
      null,
      42,
      'NONE',
      { apiKey: 1, responses: good.responses },
      { apiKey: 0, responses: 'x' },
      { apiKey: 0, responses: [] },
      { apiKey: 0, responses: [{ name: 'other', partitionResponses: good.responses[0]!.partitionResponses }] },
      { apiKey: 0, responses: [{ name: 't', partitionResponses: good.responses[0]!.partitionResponses.slice(1) }] },
      withPartition({ index: 7 }),
      withPartition({ errorCode: 'NOT_A_CODE' }),
      withPartition({ errorCode: 3 }),
      withPartition({ baseOffset: Number.NaN }),
      withPartition({ baseOffset: '10' }),
      withPartition({ logAppendTimeMs: 1.5 }),
      withPartition({ logStartOffset: undefined }),
      withPartition({ errorMessage: 5 }),
      withPartition({ recordErrors: [{ batchIndex: 'a' }] }),
      { ...good, throttleTimeMs: -0.5 },
    ];
    for (const bad of garbled) {
      const node = nodeAnswering(() => bad);
      try {
        expect(await codeOf(relayToNode(node.clients, 1, request, listener)), JSON.stringify(bad) ?? String(bad)).toBe('CORRUPT_MESSAGE');
      } finally {
        await node.close();
      }
    }
    expect(() => takeProduceAnswer(request, goodAnswer(request), 1)).not.toThrow();
  });
});

describe("a node's Produce requests that arrive in one message", () => {
  /** Sends three Produce requests in one turn (one message) and tells, for each, whether a turn of the node's loop had passed since the first was handed over. */
  async function turnsSeen(trustContext: boolean): Promise<boolean[]> {
    const { port1, port2 } = new MessageChannel();
    let turned: boolean | undefined;
    const seen: boolean[] = [];
    const node: NodeHandler = {
      handle: (r) => {
        if (turned === undefined) {
          turned = false;
          setImmediate(() => (turned = true));
        }
        seen.push(turned);
        return Promise.resolve(goodAnswer(r as ProduceRequest) as never);
      },
    };
    new PortServer(port2, (to) => (to === 1 ? node : undefined), silentLogger, () => {}, trustContext);
    const clients = new PortTransport(port1, [1], undefined, { clientId: 'relay', clientHost: 'inline' });
    try {
      await Promise.all([0, 1, 2].map(() => relayToNode(clients, 1, produce([true]), undefined)));
      return seen;
    } finally {
      await clients.close();
      port2.close();
    }
  }

  it("go to the broker in one turn on the supervisor's port (their appends wake the followers once), one a turn on a client's port", async () => {
    expect(await turnsSeen(true)).toEqual([false, false, false]);
    expect(await turnsSeen(false)).toEqual([false, true, true]);
  });
});
