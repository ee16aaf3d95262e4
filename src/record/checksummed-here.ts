/**
 * Batches whose CRC this thread computed and that nobody outside the library has touched
 * since: the one piece of trust the write path carries inside a process (issue 13, items
 * 4 and 5: "check the CRC once per hop where the bytes cross a trust boundary, not again
 * inside one process").
 *
 * The producer marks the exact bytes object it puts into a Produce request once it has
 * written their CRC (`ProducerBatch.writeCrc`), and forgets the mark when it changes them
 * (`stamp`, a new producer epoch). A leader that receives a request through the
 * in-process transport gets that very object (the transport hands the request over, not
 * a copy), finds the mark and skips its CRC pass; it still checks the batch's structure,
 * size and the topic's rules. Bytes from anywhere else carry no mark, by construction:
 * - over TCP the listener decodes each request into fresh buffers;
 * - from a worker the request crossed a `MessagePort` (copied or transferred into a new
 *   object in this thread, without the mark);
 * - from a file, a follower's fetch or a user's `PartitionLog.write` the bytes were never
 *   marked.
 * The second place that marks bytes is a leader's in-memory tail (storage/append-tail.ts):
 * its views hold batches whose CRC the leader checked (or took with the producer's mark)
 * as they entered this thread, so a follower in the same thread does not check them
 * again; a follower behind a socket gets them unmarked, like any bytes that crossed.
 * The one mark that crosses a thread: a follower in another node worker of the same
 * process (`threads: 'per-node'`) gets a Fetch answer of tail views in a frame marked
 * `checked`, and its `PeerTransport` puts this mark on the decoded batches
 * (`node/node-requests.ts`, `fetchAnswerFrame`: only on the node ports the supervisor
 * made, which no user code holds, for a frame of fresh memory handed over).
 * Nothing a caller passes in as data can forge the mark: it is a property under a
 * module-private `Symbol`, which no wire format, `postMessage` or `structuredClone`
 * carries (they copy a typed array's bytes, never its own properties); the node ports'
 * `checked` above is honoured only by `PeerTransport`, whose ports user code never holds.
 *
 * Why a symbol property and not a `WeakSet`: with keyed records over 10,000 partitions
 * every batch holds one record, and a `WeakSet` add a batch cost about 1 us (2% of that
 * profile: the ephemeron table grows and is swept at every collection); a property
 * store on the bytes object is a map transition V8 caches.
 *
 * Why the saving matters: the CRC-32C pass (native, about 6 GB/s here) is about 17 ns of
 * 100-byte record; with the producer's own pass, the leader's re-check was a second pass
 * over every byte produced in the same thread (16% of the main thread in a profile of
 * `sendBatch` calls of 1,000, both passes together).
 * @internal
 */
const mark = Symbol('tributary.checksummedHere');

type Markable = Uint8Array & { [mark]?: boolean };

/** Notes that this thread has just written the CRC of `bytes` (a whole batch, exactly these bytes). */
export function markChecksummedHere(bytes: Uint8Array): void {
  (bytes as Markable)[mark] = true;
}

/** Withdraws the mark: `bytes` are about to change (their CRC will be written again, or not at all). */
export function forgetChecksummedHere(bytes: Uint8Array): void {
  // Set to false rather than deleted: a delete would turn the object's properties into a dictionary.
  if ((bytes as Markable)[mark] === true) (bytes as Markable)[mark] = false;
}

/** Whether this thread wrote the CRC of exactly this object's bytes and they have not changed since. */
export function checksummedHere(bytes: Uint8Array): boolean {
  return (bytes as Markable)[mark] === true;
}
