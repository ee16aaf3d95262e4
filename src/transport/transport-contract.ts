import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../protocol/api-keys.js';
import type { MetadataResponse } from '../protocol/cluster.js';
import type { ProduceResponse } from '../protocol/produce.js';
import type { SyncGroupResponse } from '../protocol/group.js';
import type { Request, Response } from '../protocol/requests.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError } from '../util/errors.js';
import { zeroUuid } from '../util/uuid.js';
import type { NodeHandler, Transport } from './transport.js';

/**
 * What a contract run needs from an implementation: a transport whose nodes answer with
 * the given handlers (node ids 1..3; a missing id is unreachable), and a teardown.
 */
export type MakeTransport = (handlers: ReadonlyMap<number, NodeHandler>) => Promise<{ transport: Transport; teardown(): Promise<void> }>;

/** How the implementation carries requests. */
export interface ContractOptions {
  /**
   * The Kafka wire protocol, which cannot carry an exception: a handler's thrown error
   * comes back as the API's error answer with the error's code (Kafka's
   * `getErrorResponse`), not as a rejection.
   */
  readonly wire?: boolean;
}

/*
 * The suite speaks real Kafka requests, so that a transport that encodes them (TCP) carries
 * them like the others: a Metadata request whose topic names carry a sequence number (or,
 * `error=CODE`, an error to answer), a SyncGroup request whose assignment bytes come back
 * in its answer, and a Produce request whose records' size comes back as the base offset.
 */
const metadata = (names: readonly string[]): Request => ({ apiKey: ApiKey.Metadata, topics: names.map((name) => ({ name })), allowAutoTopicCreation: false });
const seqRequest = (seq: number): Request => metadata([`seq-${seq}`]);
const sync = (assignment: Uint8Array): Request => ({
  apiKey: ApiKey.SyncGroup,
  groupId: 'contract',
  generationId: 1,
  memberId: 'member-1',
  groupInstanceId: null,
  protocolType: 'consumer',
  protocolName: 'range',
  assignments: [{ memberId: 'member-1', assignment }],
});
const produce = (records: Uint8Array | null): Request => ({ apiKey: ApiKey.Produce, transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'contract', partitionData: [{ index: 0, records }] }] });
/** A Produce request to topic `seq-<seq>` (the echo node notes the sequence number), over `partitions` (index 100 and above: unknown to the node). */
const seqProduce = (seq: number, partitions: readonly number[] = [0]): Request => ({
  apiKey: ApiKey.Produce,
  acks: -1,
  timeoutMs: 1000,
  topicData: [
    { name: `seq-${seq}`, partitionData: partitions.map((index) => ({ index, records: new Uint8Array(10 + index).fill(index) })) },
    { name: 'other', partitionData: [{ index: 1, records: null }] },
  ],
});

/** The sequence number of an answer to {@link seqRequest}. */
function seqOf(answer: unknown): number {
  const name = (answer as MetadataResponse).topics[0]?.name ?? '';
  return Number(name.slice('seq-'.length));
}

/** A node that answers each request with what it carried (byte arrays copied), in arrival order. */
function echoNode(seen: number[] = []): NodeHandler {
  const handle = async (request: Request): Promise<Response> => {
    switch (request.apiKey) {
      case ApiKey.Metadata: {
        const names = (request.topics ?? []).map((t) => t.name ?? '');
        for (const name of names) if (name.startsWith('seq-')) seen.push(Number(name.slice(4)));
        return {
          apiKey: ApiKey.Metadata,
          brokers: [],
          clusterId: 'contract',
          controllerId: -1,
          topics: names.map((name) => ({
            errorCode: (name.startsWith('error=') ? name.slice('error='.length) : 'NONE') as ErrorCode,
            name,
            topicId: zeroUuid,
            isInternal: false,
            partitions: [],
            topicAuthorizedOperations: -2147483648,
          })),
          throttleTimeMs: 0,
        };
      }
      case ApiKey.SyncGroup:
        return { apiKey: ApiKey.SyncGroup, errorCode: 'NONE', protocolType: 'consumer', protocolName: 'range', assignment: request.assignments[0]!.assignment.slice(), throttleTimeMs: 0 };
      case ApiKey.Produce: {
        // Each partition in the request's order: its records' size as the base offset, or UNKNOWN_TOPIC_OR_PARTITION from index 100.
        const first = request.topicData[0]!.name;
        if (first.startsWith('seq-')) seen.push(Number(first.slice(4)));
        return {
          apiKey: ApiKey.Produce,
          responses: request.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) =>
              p.index >= 100
                ? { index: p.index, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 }
                : { index: p.index, errorCode: 'NONE' as const, baseOffset: p.records === null ? -1 : p.records.length, logAppendTimeMs: -1, logStartOffset: 0 },
            ),
          })),
          throttleTimeMs: 0,
        };
      }
      default:
        throw new TributaryError('INVALID_REQUEST', `the echo node does not answer API ${request.apiKey}`);
    }
  };
  return { handle: handle as unknown as NodeHandler['handle'] };
}

const never: NodeHandler = { handle: () => new Promise(() => {}) };

async function rejection(p: Promise<unknown>): Promise<TributaryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
}

/**
 * The conformance suite every `Transport` passes (the rules written on `Transport`): run it
 * from a test file with the implementation's `make` (transport-contract.test.ts):
 *
 * ```ts
 * import { InlineTransport } from './inline.js';
 * import { transportContract } from './transport-contract.js';
 *
 * transportContract('inline', async (handlers) => {
 *   const t = new InlineTransport();
 *   for (const [id, h] of handlers) t.setNode(id, h);
 *   return { transport: t, teardown: () => t.close() };
 * });
 * ```
 */
export function transportContract(name: string, make: MakeTransport, options: ContractOptions = {}): void {
  describe(`Transport contract: ${name}`, () => {
    const withTransport = async (handlers: Map<number, NodeHandler>, fn: (t: Transport) => Promise<void>): Promise<void> => {
      const { transport, teardown } = await make(handlers);
      try {
        await fn(transport);
      } finally {
        await teardown();
      }
    };

    it('keeps the order of requests to one node', async () => {
      const seen: number[] = [];
      await withTransport(new Map([[1, echoNode(seen)], [2, echoNode()]]), async (t) => {
        const answers = await Promise.all(Array.from({ length: 200 }, (_, seq) => t.send(seq % 3 === 0 ? 2 : 1, seqRequest(seq))));
        expect(answers.map(seqOf)).toEqual(Array.from({ length: 200 }, (_, i) => i));
        expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 !== 0));
      });
    });

    it('keeps the order of requests to one node across turns of the event loop', async () => {
      // A send made on the next turn, while requests of this turn may still wait (an
      // in-process transport defers those past its turn budget), must not overtake them.
      const seen: number[] = [];
      await withTransport(new Map([[1, echoNode(seen)]]), async (t) => {
        const sends: Promise<unknown>[] = [];
        for (let seq = 0; seq < 10; seq++) sends.push(t.send(1, seqRequest(seq)));
        const late = new Promise<void>((resolve) => setImmediate(() => {
          for (let seq = 300; seq < 310; seq++) sends.push(t.send(1, seqRequest(seq)));
          resolve();
        }));
        for (let seq = 10; seq < 200; seq++) sends.push(t.send(1, seqRequest(seq)));
        await late;
        await Promise.all(sends);
        expect(seen).toEqual([...Array.from({ length: 200 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 300 + i)]);
      });
    });

    it('keeps the order of requests to one node sent from answers while earlier ones wait (a client flat out)', async () => {
      // Eight senders, each sending its next request as soon as its last is answered, as a
      // producer with requests in flight does: past a turn's budget (the in-process
      // transport) requests wait for a later turn, and one sent after them must not go first.
      const seen: number[] = [];
      const total = 3_000;
      await withTransport(new Map([[1, echoNode(seen)]]), async (t) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < total) await t.send(1, seqRequest(next++));
          }),
        );
      });
      expect(seen.length).toBe(total);
      const outOfOrder = seen.findIndex((s, i) => s !== i);
      expect(outOfOrder, `request ${seen[outOfOrder]} arrived in place ${outOfOrder}`).toBe(-1);
    });

    it('keeps the order of Produce requests among other requests to one node', async () => {
      const seen: number[] = [];
      await withTransport(new Map([[1, echoNode(seen)]]), async (t) => {
        const sends = Array.from({ length: 60 }, (_, seq) => t.send(1, seq % 5 === 2 ? seqRequest(seq) : seqProduce(seq)));
        await Promise.all(sends);
        const late = Array.from({ length: 10 }, (_, i) => t.send(1, i % 2 === 0 ? seqProduce(100 + i) : seqRequest(100 + i)));
        await Promise.all(late);
        expect(seen).toEqual([...Array.from({ length: 60 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
      });
    });

    it('answers a Produce request of several topics and partitions partition by partition, an unknown partition with its own error code', async () => {
      await withTransport(new Map([[1, echoNode()]]), async (t) => {
        const [a, b] = (await Promise.all([t.send(1, seqProduce(1, [0, 3, 101, 2])), t.send(1, seqProduce(2, [105]))])) as ProduceResponse[];
        const rows = (r: ProduceResponse): string[] => r.responses.flatMap((x) => x.partitionResponses.map((p) => `${x.name}-${p.index}:${p.errorCode}@${p.baseOffset}`));
        expect(rows(a!)).toEqual(['seq-1-0:NONE@10', 'seq-1-3:NONE@13', 'seq-1-101:UNKNOWN_TOPIC_OR_PARTITION@-1', 'seq-1-2:NONE@12', 'other-1:NONE@-1']);
        expect(rows(b!)).toEqual(['seq-2-105:UNKNOWN_TOPIC_OR_PARTITION@-1', 'other-1:NONE@-1']);
      });
    });

    it('aborts a Produce request like any other: at once, in the same turn as its send, and with no listener left', async () => {
      const seen: number[] = [];
      await withTransport(new Map([[1, never], [2, echoNode(seen)]]), async (t) => {
        const ac = new AbortController();
        const p = t.send(1, seqProduce(1, [0, 1]), { signal: ac.signal });
        p.catch(() => {});
        await new Promise((r) => setImmediate(r));
        ac.abort(new Error('caller gave up'));
        expect((await rejection(p)).code).toBe('REQUEST_ABORTED');
        expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
        // Aborted in the turn it was sent, among others sent in that turn: only it is rejected.
        const now = new AbortController();
        const sent = [t.send(2, seqProduce(2)), t.send(2, seqProduce(3), { signal: now.signal }), t.send(2, seqProduce(4))];
        now.abort(new Error('changed my mind'));
        expect((await rejection(sent[1]!)).code).toBe('REQUEST_ABORTED');
        const [x, z] = (await Promise.all([sent[0], sent[2]])) as ProduceResponse[];
        expect([x!.responses[0]!.name, z!.responses[0]!.name]).toEqual(['seq-2', 'seq-4']);
        expect(getEventListeners(now.signal, 'abort').length).toBe(0);
        expect(((await t.send(2, seqProduce(5))) as ProduceResponse).responses[0]!.partitionResponses[0]!.baseOffset).toBe(10);
      });
    });

    it('resolves error answers as responses; a thrown error keeps its code (and, off the wire, its retriable flag and message)', async () => {
      const throwing: NodeHandler = {
        handle: async () => {
          throw new TributaryError('NOT_LEADER_OR_FOLLOWER', 'node 3 leads no partition here');
        },
      };
      await withTransport(new Map([[1, echoNode()], [3, throwing]]), async (t) => {
        const answer = (await t.send(1, metadata(['error=NOT_CONTROLLER']))) as MetadataResponse;
        expect(answer.topics[0]!.errorCode).toBe('NOT_CONTROLLER');
        if (options.wire) {
          // Kafka's getErrorResponse: the topic asked for, with the error's code.
          const failed = (await t.send(3, metadata(['orders']))) as MetadataResponse;
          expect(failed.topics.map((x) => [x.name, x.errorCode])).toEqual([['orders', 'NOT_LEADER_OR_FOLLOWER']]);
        } else {
          const err = await rejection(t.send(3, metadata(['orders'])));
          expect([err.code, err.retriable, err.message]).toEqual(['NOT_LEADER_OR_FOLLOWER', true, 'node 3 leads no partition here']);
        }
      });
    });

    it('rejects a request to an unreachable node with retriable NETWORK_EXCEPTION', async () => {
      await withTransport(new Map([[1, echoNode()]]), async (t) => {
        const err = await rejection(t.send(2, seqRequest(1)));
        expect([err.code, err.retriable]).toEqual(['NETWORK_EXCEPTION', true]);
      });
    });

    it('close rejects requests in flight retriably and refuses new ones with CLIENT_CLOSED', async () => {
      const { transport: t, teardown } = await make(new Map([[1, never]]));
      // Handled from the start, as a client awaiting its send is: they may reject inside close().
      const inFlight = [t.send(1, seqRequest(1)), t.send(1, seqRequest(2))].map((p) => p.then(() => undefined, (e: unknown) => e));
      await new Promise((r) => setImmediate(r));
      await t.close();
      for (const p of inFlight) {
        const err = await rejection(p.then((e) => Promise.reject(e)));
        expect([err.code, err.retriable]).toEqual(['NETWORK_EXCEPTION', true]);
      }
      const after = await rejection(t.send(1, seqRequest(3)));
      expect([after.code, after.retriable]).toEqual(['CLIENT_CLOSED', false]);
      await t.close(); // twice: a no-op
      await teardown();
    });

    it('abort rejects with REQUEST_ABORTED and leaves no listener behind', async () => {
      await withTransport(new Map([[1, never], [2, echoNode()]]), async (t) => {
        const ac = new AbortController();
        const p = t.send(1, seqRequest(1), { signal: ac.signal });
        p.catch(() => {});
        await new Promise((r) => setImmediate(r));
        expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
        ac.abort(new Error('caller gave up'));
        const err = await rejection(p);
        expect([err.code, err.retriable]).toEqual(['REQUEST_ABORTED', false]);
        expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
        // Already aborted: refused before it is sent.
        const pre = await rejection(t.send(2, seqRequest(2), { signal: ac.signal }));
        expect(pre.code).toBe('REQUEST_ABORTED');
        // Answered: the listener is gone too.
        const live = new AbortController();
        await t.send(2, seqRequest(3), { signal: live.signal });
        expect(getEventListeners(live.signal, 'abort').length).toBe(0);
        // The transport still works after an abort.
        expect(seqOf(await t.send(2, seqRequest(7)))).toBe(7);
      });
    });

    it('abort in the same turn as the send rejects with REQUEST_ABORTED, even where the answer is ready at once', async () => {
      await withTransport(new Map([[2, echoNode()]]), async (t) => {
        const ac = new AbortController();
        const p = t.send(2, seqRequest(1), { signal: ac.signal });
        ac.abort(new Error('changed my mind'));
        const err = await rejection(p);
        expect([err.code, err.retriable]).toEqual(['REQUEST_ABORTED', false]);
        expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
        expect(seqOf(await t.send(2, seqRequest(2)))).toBe(2);
      });
    });

    it('carries bytes of every size intact and never changes or detaches the caller’s arrays', async () => {
      await withTransport(new Map([[1, echoNode()]]), async (t) => {
        const big = new Uint8Array(4 << 20);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
        const sizes = [0, 1, 100, 8191, 65_536, 1 << 20];
        for (const size of sizes) {
          const bytes = big.subarray(13, 13 + size); // a view into a larger buffer, at an offset
          const copy = bytes.slice();
          const answer = (await t.send(1, sync(bytes))) as SyncGroupResponse;
          expect(bytes.byteLength).toBe(size);
          expect(Buffer.from(bytes).equals(Buffer.from(copy))).toBe(true);
          expect(answer.assignment).toBeInstanceOf(Uint8Array);
          expect(Buffer.from(answer.assignment).equals(Buffer.from(copy))).toBe(true);
          const produced = (await t.send(1, produce(bytes))) as ProduceResponse;
          expect(produced.responses[0]!.partitionResponses[0]!.baseOffset).toBe(size);
          expect(Buffer.from(bytes).equals(Buffer.from(copy))).toBe(true);
        }
        const pooled = Buffer.from('a pooled Buffer from the 8 KiB slab');
        const answer = (await t.send(1, sync(pooled))) as SyncGroupResponse;
        expect(Buffer.from(answer.assignment).toString()).toBe('a pooled Buffer from the 8 KiB slab');
        expect(pooled.byteLength).toBe(35);
        const none = (await t.send(1, produce(null))) as ProduceResponse;
        expect(none.responses[0]!.partitionResponses[0]!.baseOffset).toBe(-1);
      });
    });

    it('rejects a request that is not a request with a typed error', async () => {
      await withTransport(new Map([[1, echoNode()]]), async (t) => {
        for (const bad of [null, undefined, 42, 'Produce', { noApiKey: true }]) {
          const err = await rejection(t.send(1, bad as unknown as Request));
          expect(err.code).toBe('INVALID_REQUEST');
        }
      });
    });
  });
}
