/**
 * The calling thread's Produce requests relayed to a node's worker keep the producer's
 * checksummed-here mark (relayed-produce.ts), over a real `MessageChannel` between the
 * relay's `PortTransport` and a `PortServer` as the node's worker runs it: only when every
 * batch carried the mark, and only on a port whose contexts the server trusts.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ProduceRequest } from '../protocol/produce.js';
import type { Request } from '../protocol/requests.js';
import { encodeBatchUncompressed } from '../record/batch.js';
import { checksummedHere, markChecksummedHere } from '../record/checksummed-here.js';
import { PortServer } from '../transport/port/port-server.js';
import { PortTransport } from '../transport/port/port-transport.js';
import type { NodeHandler } from '../transport/transport.js';
import { silentLogger } from '../util/logger.js';
import { relayContext, takeRelayedMarks } from './relayed-produce.js';

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

/** Relays `request` as the supervisor does, and returns whether each batch arrived marked in the node's thread. */
async function relay(request: Request, trustContext: boolean): Promise<boolean[]> {
  const { port1, port2 } = new MessageChannel();
  let seen: boolean[] = [];
  const node: NodeHandler = {
    handle: (r, context) => {
      takeRelayedMarks(r, context);
      seen = ((r as ProduceRequest).topicData ?? []).flatMap((t) => t.partitionData.map((p) => p.records !== null && checksummedHere(p.records)));
      return Promise.resolve({ apiKey: 0, responses: [], throttleTimeMs: 0 } as never);
    },
  };
  new PortServer(port2, (to) => (to === 1 ? node : undefined), silentLogger, () => {}, trustContext);
  const clients = new PortTransport(port1, [1], undefined, { clientId: 'consumer', clientHost: 'inline' });
  try {
    await clients.sendAs(1, request, relayContext(request, undefined));
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

  it('leaves the context of any other request as it was', () => {
    const metadata = { apiKey: 3, topics: null } as unknown as Request;
    expect(relayContext(metadata, undefined)).toBeUndefined();
    expect(relayContext(produce([]), undefined)).toBeUndefined();
  });
});
