/**
 * Byte arrays whose owner gave up the `ArrayBuffer` under them: a transport that carries
 * one to another thread transfers that buffer instead of copying the bytes, and the
 * sender's view is left empty (detached). Only the port transport reads the mark; in the
 * calling thread a marked array is an ordinary array. (Here in `util/` so that the log,
 * which makes such buffers, can mark them without knowing about transports.)
 * @internal
 */
const handedOver = new WeakSet<Uint8Array>();

/**
 * Gives up `bytes` to the next transport that carries them. Only for an array that is the
 * whole of an unshared, unpooled `ArrayBuffer` (anything else stays unmarked and is copied
 * as usual). A node's encoded answer is one: made for the message and dropped after.
 * @internal
 */
export function handOver(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) handedOver.add(bytes);
  return bytes;
}

/**
 * Gives up the whole `ArrayBuffer` under `bytes`, which may be a part of it: the caller
 * allocated that buffer for this array alone (never from `Buffer`'s pool) and keeps no other
 * view on it, so a transport may transfer it and leave every view on it empty. The log's
 * read of a consumer's Fetch is one (`LocalLog.read` without a caller's buffer).
 * @internal
 */
export function handOverBuffer(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof ArrayBuffer && bytes.byteLength > 0) handedOver.add(bytes);
  return bytes;
}

/** Whether `bytes` were handed over, the mark left in place (to plan a message before it is made). @internal */
export function isHandedOver(bytes: Uint8Array): boolean {
  return handedOver.has(bytes);
}

/** Whether `bytes` were handed over; the mark is taken (a buffer is transferred once). @internal */
export function takeHandedOver(bytes: Uint8Array): boolean {
  return handedOver.delete(bytes);
}
