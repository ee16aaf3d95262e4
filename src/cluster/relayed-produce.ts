/**
 * The Produce request's hop from the calling thread to a node's worker
 * (`threads: 'per-node'`): whether the leader must checksum its batches again.
 *
 * The calling thread's producer writes each batch's CRC and marks the bytes
 * (`record/checksummed-here.ts`); in one thread the leader takes that mark and skips its
 * own CRC pass. Across to a node's worker the mark is lost (a `MessagePort` copies bytes,
 * never a property), so the leader checked every batch a second time: about 20 ns a
 * 100-byte record, a third of the CRC work of a replicated record
 * (bench/results/2026-12-07h-pernode.md). Here the supervisor's relay says, in the request
 * context it already sends on that port, that every batch of a Produce request carried
 * the mark when it was copied for the hop (`relayContext`), and the node's worker puts the
 * mark back on the copies (`takeRelayedMarks`).
 *
 * **Why this is no trust boundary.** The copies are made by the relay's port transport in
 * the same synchronous call that looked at the marks (`PortTransport.sendAs` copies into
 * buffers of its own before it returns), into memory no user code ever sees, and cross on
 * the node's `clients` port, which only the supervisor holds (the port server trusts its
 * contexts for that reason already). A request from a handle's worker or from a Kafka
 * listener reaches the relay as fresh bytes without the mark, so it goes unmarked and is
 * checked, as before. Only Produce requests are marked, only when every batch is.
 * @internal
 */
import type { RequestContext } from '../broker/request-context.js';
import { inlineContext } from '../broker/request-context.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { ProduceRequest } from '../protocol/produce.js';
import type { Request } from '../protocol/requests.js';
import { checksummedHere, markChecksummedHere } from '../record/checksummed-here.js';

/** A request context that also says the Produce request's batches were checksummed by the calling thread. */
interface RelayedContext extends RequestContext {
  readonly batchesChecked?: boolean;
}

function batchesOf(request: Request): Uint8Array[] | undefined {
  if (request.apiKey !== ApiKey.Produce) return undefined;
  const out: Uint8Array[] = [];
  for (const t of (request as ProduceRequest).topicData ?? []) {
    for (const p of t.partitionData ?? []) if (p.records instanceof Uint8Array && p.records.length > 0) out.push(p.records);
  }
  return out;
}

/** The context the relay sends with `request` to a node's worker: `context`, plus `batchesChecked` when every batch carries this thread's mark. */
export function relayContext(request: Request, context: RequestContext | undefined): RequestContext | undefined {
  const batches = batchesOf(request);
  if (batches === undefined || batches.length === 0) return context;
  for (const b of batches) if (!checksummedHere(b)) return context;
  const relayed: RelayedContext = { ...(context ?? inlineContext), batchesChecked: true };
  return relayed;
}

/** In the node's worker: puts the mark back on a relayed Produce request's batches when its (trusted) context says they carried it. */
export function takeRelayedMarks(request: Request, context: RequestContext | undefined): void {
  if ((context as RelayedContext | undefined)?.batchesChecked !== true) return;
  for (const b of batchesOf(request) ?? []) markChecksummedHere(b);
}
