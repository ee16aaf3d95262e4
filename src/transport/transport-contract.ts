import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../protocol/api-keys.js';
import type { Request } from '../protocol/requests.js';
import { TributaryError } from '../util/errors.js';
import type { NodeHandler, Transport } from './transport.js';

/**
 * What a contract run needs from an implementation: a transport whose nodes answer with
 * the given handlers (node ids 1..3; a missing id is unreachable), and a teardown.
 */
export type MakeTransport = (handlers: ReadonlyMap<number, NodeHandler>) => Promise<{ transport: Transport; teardown(): Promise<void> }>;

type Echo = { apiKey: number; seq?: number; records?: Uint8Array | null; errorCode?: string };

/** A node that answers each request with its own fields (byte arrays copied), in arrival order. */
function echoNode(seen: number[] = []): NodeHandler {
  return {
    handle: (async (request: Echo) => {
      if (request.seq !== undefined) seen.push(request.seq);
      return { ...request, records: request.records == null ? request.records : request.records.slice(), echoed: true };
    }) as unknown as NodeHandler['handle'],
  };
}

const never: NodeHandler = { handle: () => new Promise(() => {}) };
const req = (fields: Omit<Echo, 'apiKey'>): Request => ({ apiKey: ApiKey.Metadata, ...fields }) as unknown as Request;

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
export function transportContract(name: string, make: MakeTransport): void {
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
        const answers = await Promise.all(Array.from({ length: 200 }, (_, seq) => t.send(seq % 3 === 0 ? 2 : 1, req({ seq }))));
        expect(answers.map((a) => (a as unknown as Echo).seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
        expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 !== 0));
      });
    });

    it('resolves error answers as responses, rejects a thrown error with its code, retriable flag and message', async () => {
      const throwing: NodeHandler = {
        handle: async () => {
          throw new TributaryError('NOT_LEADER_OR_FOLLOWER', 'node 3 leads no partition here');
        },
      };
      await withTransport(new Map([[1, echoNode()], [3, throwing]]), async (t) => {
        const answer = (await t.send(1, req({ errorCode: 'NOT_CONTROLLER' }))) as unknown as Echo;
        expect(answer.errorCode).toBe('NOT_CONTROLLER');
        const err = await rejection(t.send(3, req({})));
        expect([err.code, err.retriable, err.message]).toEqual(['NOT_LEADER_OR_FOLLOWER', true, 'node 3 leads no partition here']);
      });
    });

    it('rejects a request to an unreachable node with retriable NETWORK_EXCEPTION', async () => {
      await withTransport(new Map([[1, echoNode()]]), async (t) => {
        const err = await rejection(t.send(2, req({})));
        expect([err.code, err.retriable]).toEqual(['NETWORK_EXCEPTION', true]);
      });
    });

    it('close rejects requests in flight retriably and refuses new ones with CLIENT_CLOSED', async () => {
      const { transport: t, teardown } = await make(new Map([[1, never]]));
      const inFlight = [t.send(1, req({ seq: 1 })), t.send(1, req({ seq: 2 }))];
      await new Promise((r) => setImmediate(r));
      await t.close();
      for (const p of inFlight) {
        const err = await rejection(p);
        expect([err.code, err.retriable]).toEqual(['NETWORK_EXCEPTION', true]);
      }
      const after = await rejection(t.send(1, req({})));
      expect([after.code, after.retriable]).toEqual(['CLIENT_CLOSED', false]);
      await t.close(); // twice: a no-op
      await teardown();
    });

    it('abort rejects with REQUEST_ABORTED and leaves no listener behind', async () => {
      await withTransport(new Map([[1, never], [2, echoNode()]]), async (t) => {
        const ac = new AbortController();
        const p = t.send(1, req({}), { signal: ac.signal });
        p.catch(() => {});
        await new Promise((r) => setImmediate(r));
        expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
        ac.abort(new Error('caller gave up'));
        const err = await rejection(p);
        expect([err.code, err.retriable]).toEqual(['REQUEST_ABORTED', false]);
        expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
        // Already aborted: refused before it is sent.
        const pre = await rejection(t.send(2, req({}), { signal: ac.signal }));
        expect(pre.code).toBe('REQUEST_ABORTED');
        // Answered: the listener is gone too.
        const live = new AbortController();
        await t.send(2, req({ seq: 1 }), { signal: live.signal });
        expect(getEventListeners(live.signal, 'abort').length).toBe(0);
        // The transport still works after an abort.
        expect(((await t.send(2, req({ seq: 7 }))) as unknown as Echo).seq).toBe(7);
      });
    });

    it('carries bytes of every size intact and never changes or detaches the caller’s arrays', async () => {
      await withTransport(new Map([[1, echoNode()]]), async (t) => {
        const big = new Uint8Array(4 << 20);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
        const sizes = [0, 1, 100, 8191, 65_536, 1 << 20];
        for (const size of sizes) {
          const records = big.subarray(13, 13 + size); // a view into a larger buffer, at an offset
          const copy = records.slice();
          const answer = (await t.send(1, req({ records }))) as unknown as Echo;
          expect(records.byteLength).toBe(size);
          expect(Buffer.from(records).equals(Buffer.from(copy))).toBe(true);
          expect(answer.records).toBeInstanceOf(Uint8Array);
          expect(Buffer.from(answer.records!).equals(Buffer.from(copy))).toBe(true);
        }
        const pooled = Buffer.from('a pooled Buffer from the 8 KiB slab');
        const answer = (await t.send(1, req({ records: pooled }))) as unknown as Echo;
        expect(Buffer.from(answer.records!).toString()).toBe('a pooled Buffer from the 8 KiB slab');
        expect(pooled.byteLength).toBe(35);
        expect((await t.send(1, req({ records: null }))) as unknown as Echo).toMatchObject({ records: null });
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
