/**
 * The Kafka wire codec: requests and responses to and from the bytes of Kafka's protocol.
 * It is a translation at the edge: a decoded request is the same object an in-process
 * client sends, and the broker never knows which one it got.
 *
 * Every API is encoded and decoded by the one interpreter in `plan.ts`, from the API's
 * description in `../schema/`; `adapters.ts` converts the few fields whose shape changed
 * between versions. Nothing here is written per API or per version.
 *
 * Framing: on the socket every message is a 4-byte big-endian size, then the message. The
 * encoders return the whole frame, size included, ready to write; the decoders take one
 * message without its size, as a framer yields it after reading the size (and checking it
 * against `frameBytesMax`).
 *
 * Server side: `decodeRequest(message)`, then `validateRequest`, handle it, then
 * `encodeResponse(response, { apiVersion, correlationId, request })` with the request's
 * header (or `encodeResponseChunks` for a zero-copy Fetch answer).
 * Client side: `encodeRequest(request, header)`, then `decodeResponse(apiKey, apiVersion, message)`.
 */
import { assert } from '../../util/assert.js';
import { TributaryError } from '../../util/errors.js';
import { ApiKey, apiName } from '../api-keys.js';
import type { Request, ResponseOf, Response } from '../requests.js';
import { apiSpecs, type ApiSpec } from '../schema/index.js';
import { adapters } from './adapters.js';
import { readRequestHeaderFields, readResponseHeader, requestHeaderVersion, responseHeaderVersion, writeRequestHeader, writeResponseHeader, type RequestHeader } from './header.js';
import { planFor } from './plan.js';
import { ByteReader } from '../../util/byte-reader.js';
import { advertisedApiVersions, isAdvertised, isServed, servedApiVersions, type WireApiVersion } from './versions.js';
import { ByteWriter } from '../../util/byte-writer.js';

export { advertisedApiVersions, servedApiVersions, isServed, isAdvertised, type WireApiVersion };

/** The largest message a peer may send: Kafka's `socket.request.max.bytes` default, 100 MiB. */
export const frameBytesMax = 100 * 1024 * 1024;

/**
 * What an ApiVersions response answers: the same list as `advertisedApiVersions` (this is
 * its older name). It differs from `servedApiVersions` only for Produce, advertised from v0
 * and served from v3 (`versions.ts`).
 */
export const wireApiVersions: readonly WireApiVersion[] = advertisedApiVersions;

type Obj = Record<string, unknown>;

function specFor(apiKey: number): ApiSpec | undefined {
  return (apiSpecs as Record<number, ApiSpec | undefined>)[apiKey];
}

const apiVersionsMax = advertisedApiVersions.find((a) => a.apiKey === ApiKey.ApiVersions)!.maxVersion;

function sizedFrame(w: ByteWriter): Uint8Array {
  const bytes = w.finish();
  const frame = bytes.slice(); // own the bytes: the writer's buffer is larger than the frame
  new DataView(frame.buffer).setInt32(0, frame.length - 4);
  return frame;
}

/** What a client writes in every request header besides the API key. */
export interface RequestHeaderInput {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/**
 * Encodes a request as one frame (size prefix included) at `header.apiVersion`. Throws
 * `UNSUPPORTED_VERSION` for an API or version the codec does not serve, or when the request
 * holds something the version cannot carry.
 */
export function encodeRequest(request: Request, header: RequestHeaderInput): Uint8Array {
  const spec = specFor(request.apiKey);
  if (spec === undefined || !isServed(request.apiKey, header.apiVersion)) {
    throw new TributaryError('UNSUPPORTED_VERSION', `no wire codec for ${apiName(request.apiKey)} v${header.apiVersion}`);
  }
  const plan = planFor(spec.request, header.apiVersion, `${apiName(request.apiKey)} request`);
  const toWire = adapters[request.apiKey]?.request?.toWire;
  const value = toWire ? toWire(header.apiVersion, request as unknown as Obj) : (request as unknown as Obj);
  const w = new ByteWriter();
  w.int32(0);
  writeRequestHeader(w, { apiKey: request.apiKey, ...header }, plan.flexible ? 2 : 1);
  plan.write(w, value);
  return sizedFrame(w);
}

/** A decoded request with its header. */
export interface DecodedRequest {
  readonly header: RequestHeader;
  readonly request: Request;
  /**
   * False only for an ApiVersions request of a version above the codec's: KIP-511 says to
   * answer it anyway, in v0, with UNSUPPORTED_VERSION and `advertisedApiVersions`. Its
   * body is not read (it may be a layout we do not know); `request` has no client fields.
   */
  readonly versionSupported: boolean;
}

/**
 * Decodes one request message (without its size prefix). Throws `INVALID_REQUEST` for
 * malformed bytes (bytes after the last field are ignored, as Kafka ignores them), and `UNSUPPORTED_VERSION` for an unknown API or a version not served
 * (except the ApiVersions case in {@link DecodedRequest}); the message names the API,
 * version and correlation id when they could be read. Produce v0-v2 are advertised but
 * not served (`versions.ts`): like Kafka 4.0's socket server, the codec refuses them, and
 * the listener closes the connection. The decoded request still needs `validateRequest` before it is
 * trusted: the codec checks encoding, not meaning.
 */
export function decodeRequest(message: Uint8Array): DecodedRequest {
  const r = new ByteReader(message, 'INVALID_REQUEST');
  const header = readRequestHeaderFields(r);
  const { apiKey, apiVersion, correlationId } = header;
  if (apiKey === ApiKey.ApiVersions && apiVersion > apiVersionsMax) {
    return { header, request: { apiKey: ApiKey.ApiVersions }, versionSupported: false };
  }
  const spec = specFor(apiKey);
  if (spec === undefined || !isServed(apiKey, apiVersion)) {
    throw new TributaryError('UNSUPPORTED_VERSION', `no wire codec for ${apiName(apiKey)} v${apiVersion} (correlation id ${correlationId})`);
  }
  const plan = planFor(spec.request, apiVersion, `${apiName(apiKey)} request`);
  r.tags(requestHeaderVersion(apiKey, apiVersion) === 2);
  let value = plan.read(r, { apiKey });
  // Bytes after the last field are ignored, as Kafka's request parser ignores them (it reads
  // the fields it knows and never checks the rest). librdkafka 2.0.2 depends on it: its
  // ListGroups v4 request carries a second empty tag buffer (1 byte), and its OffsetFetch v7
  // for all of a group's partitions leaves a 4-byte array count placeholder where a 1-byte
  // null goes (3 bytes), so its ListConsumerGroups and ListConsumerGroupOffsets fail against
  // a broker that refuses them. The frame's size already bounds what is read.
  const fromWire = adapters[apiKey]?.request?.fromWire;
  if (fromWire) value = fromWire(apiVersion, value, (why) => r.fail(why));
  return { header, request: value as unknown as Request, versionSupported: true };
}

/** What a broker writes in every response header: the request's correlation id, and the version to answer in. */
export interface ResponseHeaderInput {
  readonly apiVersion: number;
  readonly correlationId: number;
  /**
   * The request this answers. Only OffsetFetch v8 needs it (its response names the group,
   * which the in-process response does not carry); a broker always has it.
   */
  readonly request?: Request;
}

function writeResponse(w: ByteWriter, response: Response, header: ResponseHeaderInput): void {
  const spec = specFor(response.apiKey);
  assert(spec !== undefined && isAdvertised(response.apiKey, header.apiVersion), `a ${apiName(response.apiKey)} v${header.apiVersion} response answers a request that was decoded`);
  const plan = planFor(spec.response, header.apiVersion, `${apiName(response.apiKey)} response`);
  const toWire = adapters[response.apiKey]?.response?.toWire;
  const value = toWire ? toWire(header.apiVersion, response as unknown as Obj, header.request as unknown as Obj | undefined) : (response as unknown as Obj);
  w.int32(0);
  writeResponseHeader(w, header.correlationId, responseHeaderVersion(response.apiKey, header.apiVersion));
  plan.write(w, value);
}

/** Encodes a response as one frame (size prefix included), in the version of the request it answers. */
export function encodeResponse(response: Response, header: ResponseHeaderInput): Uint8Array {
  const w = new ByteWriter();
  writeResponse(w, response, header);
  return sizedFrame(w);
}

/**
 * Encodes a response as the pieces of one frame (size prefix included), for a vectored
 * write (`socket.cork(); for (c of chunks) socket.write(c); socket.uncork()`, or `writev`).
 * Record bytes of at least `externalBytesMin` (4 KiB) are pieces of their own, by
 * reference, not copied: a Fetch answer sends the log's batches as they were read. The
 * caller must not change those bytes until the write completes.
 */
export function encodeResponseChunks(response: Response, header: ResponseHeaderInput): Uint8Array[] {
  const w = new ByteWriter().chunked();
  writeResponse(w, response, header);
  const chunks = w.finishChunks();
  let total = 0;
  for (const c of chunks) total += c.length;
  const first = chunks[0]!;
  assert(first.length >= 4, 'the size prefix is in the first piece');
  new DataView(first.buffer, first.byteOffset, first.byteLength).setInt32(0, total - 4);
  return chunks;
}

/** A decoded response with its correlation id. */
export interface DecodedResponse<K extends ApiKey> {
  readonly correlationId: number;
  readonly response: ResponseOf<K>;
}

/**
 * Decodes one response message (without its size prefix) to a request of `apiKey` at
 * `apiVersion`. Malformed bytes are `CORRUPT_MESSAGE`. An ApiVersions response with error
 * UNSUPPORTED_VERSION is read as v0, whatever was asked (KIP-511).
 */
export function decodeResponse<K extends ApiKey>(apiKey: K, apiVersion: number, message: Uint8Array): DecodedResponse<K> {
  const spec = specFor(apiKey);
  if (spec === undefined || !isAdvertised(apiKey, apiVersion)) {
    throw new TributaryError('UNSUPPORTED_VERSION', `no wire codec for ${apiName(apiKey)} v${apiVersion}`);
  }
  const r = new ByteReader(message, 'CORRUPT_MESSAGE');
  const correlationId = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  let version = apiVersion;
  if (apiKey === ApiKey.ApiVersions && r.remaining >= 2) {
    // UNSUPPORTED_VERSION (35) is the first field of every ApiVersions version.
    const errorNumber = new DataView(message.buffer, message.byteOffset, message.byteLength).getInt16(r.position);
    if (errorNumber === 35) version = 0;
  }
  const plan = planFor(spec.response, version, `${apiName(apiKey)} response`);
  let value = plan.read(r, { apiKey });
  r.done(`${apiName(apiKey)} v${version} response`);
  const fromWire = adapters[apiKey]?.response?.fromWire;
  if (fromWire) value = fromWire(version, value, (why) => r.fail(why));
  return { correlationId, response: value as unknown as ResponseOf<K> };
}
