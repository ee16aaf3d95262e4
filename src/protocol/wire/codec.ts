/**
 * The Kafka wire codec: requests and responses to and from the bytes of Kafka's protocol.
 * It is a translation at the edge: a decoded request is the same object an in-process
 * client sends, and the broker never knows which one it got.
 *
 * Framing: on the socket every message is a 4-byte big-endian size, then the message. The
 * encoders return the whole frame, size included, ready to write; the decoders take one
 * message without its size, as a framer yields it after reading the size (and checking it
 * against `frameBytesMax`).
 *
 * Server side: `decodeRequest(message)`, then `validateRequest`, handle it, then
 * `encodeResponse(response, { apiVersion, correlationId })` with the request's header.
 * Client side: `encodeRequest(request, header)`, then `decodeResponse(apiKey, apiVersion, message)`.
 */
import { assert } from '../../util/assert.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';
import { ApiKey, apiName, isApiKey } from '../api-keys.js';
import type { Request, ResponseOf, Response } from '../requests.js';
import type { ApiCodec } from './api-codec.js';
import { apiVersionsCodec } from './api-versions.js';
import { readRequestHeaderFields, readResponseHeader, requestHeaderVersion, responseHeaderVersion, writeRequestHeader, writeResponseHeader, type RequestHeader } from './header.js';
import { metadataCodec } from './metadata.js';
import { WireReader } from './reader.js';
import { WireWriter } from './writer.js';

/** The largest message a peer may send: Kafka's `socket.request.max.bytes` default, 100 MiB. */
export const frameBytesMax = 100 * 1024 * 1024;

/** The codecs that exist so far, by API key. An API without one is not advertised over the wire. */
const codecs: { readonly [K in ApiKey]?: ApiCodec<K> } = {
  [ApiKey.ApiVersions]: apiVersionsCodec,
  [ApiKey.Metadata]: metadataCodec,
};

/** The APIs the wire codec speaks, with the versions it can encode and decode, for an ApiVersions response. */
export const wireApiVersions: readonly { readonly apiKey: ApiKey; readonly minVersion: number; readonly maxVersion: number }[] = Object.values(codecs).map(
  (c) => ({ apiKey: c.apiKey, minVersion: c.minVersion, maxVersion: c.maxVersion }),
);

function codecFor<K extends ApiKey>(apiKey: K): ApiCodec<K> | undefined {
  return codecs[apiKey] as ApiCodec<K> | undefined;
}

function sizedFrame(w: WireWriter): Uint8Array {
  const bytes = w.finish();
  const frame = bytes.slice(); // own the bytes: the writer's buffer is larger than the frame
  new DataView(frame.buffer).setInt32(0, frame.length - 4);
  return frame;
}

function supports(codec: ApiCodec<ApiKey>, version: number): boolean {
  return Number.isInteger(version) && version >= codec.minVersion && version <= codec.maxVersion;
}

/** What a client writes in every request header besides the API key. */
export interface RequestHeaderInput {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/**
 * Encodes a request as one frame (size prefix included) at `header.apiVersion`. Throws
 * `UNSUPPORTED_VERSION` for an API without a codec or a version outside the codec's range,
 * or when the request holds something the version cannot carry.
 */
export function encodeRequest(request: Request, header: RequestHeaderInput): Uint8Array {
  const codec = codecFor(request.apiKey) as ApiCodec<typeof request.apiKey> | undefined;
  if (codec === undefined || !supports(codec, header.apiVersion)) {
    throw new TributaryError('UNSUPPORTED_VERSION', `no wire codec for ${apiName(request.apiKey)} v${header.apiVersion}`);
  }
  const w = new WireWriter();
  w.int32(0);
  writeRequestHeader(w, { apiKey: request.apiKey, ...header }, requestHeaderVersion(request.apiKey, header.apiVersion));
  codec.encodeRequest(w, request as never, header.apiVersion);
  return sizedFrame(w);
}

/** A decoded request with its header. */
export interface DecodedRequest {
  readonly header: RequestHeader;
  readonly request: Request;
  /**
   * False only for an ApiVersions request of a version above the codec's: KIP-511 says to
   * answer it anyway, in v0, with UNSUPPORTED_VERSION and the versions we do speak. Its
   * body is not read (it may be a layout we do not know); `request` has no client fields.
   */
  readonly versionSupported: boolean;
}

/**
 * Decodes one request message (without its size prefix). Throws `INVALID_REQUEST` for
 * malformed bytes, and `UNSUPPORTED_VERSION` for an unknown API or version (except the
 * ApiVersions case in {@link DecodedRequest}); the message names the API, version and
 * correlation id when they could be read. The decoded request still needs
 * `validateRequest` before it is trusted: the codec checks encoding, not meaning.
 */
export function decodeRequest(message: Uint8Array): DecodedRequest {
  const r = new WireReader(message, 'INVALID_REQUEST');
  const header = readRequestHeaderFields(r);
  const { apiKey, apiVersion, correlationId } = header;
  const codec = isApiKey(apiKey) ? codecFor(apiKey) : undefined;
  if (apiKey === ApiKey.ApiVersions && apiVersion > apiVersionsCodec.maxVersion) {
    return { header, request: { apiKey: ApiKey.ApiVersions }, versionSupported: false };
  }
  if (!isApiKey(apiKey) || codec === undefined || !supports(codec, apiVersion)) {
    throw new TributaryError('UNSUPPORTED_VERSION', `no wire codec for ${apiName(apiKey)} v${apiVersion} (correlation id ${correlationId})`);
  }
  r.tags(requestHeaderVersion(apiKey, apiVersion) === 2);
  const request = codec.decodeRequest(r, apiVersion);
  r.done(`${apiName(apiKey)} v${apiVersion} request`);
  return { header, request, versionSupported: true };
}

/** What a broker writes in every response header: the request's correlation id, and the version to answer in. */
export interface ResponseHeaderInput {
  readonly apiVersion: number;
  readonly correlationId: number;
}

/** Encodes a response as one frame (size prefix included), in the version of the request it answers. */
export function encodeResponse(response: Response, header: ResponseHeaderInput): Uint8Array {
  const codec = codecFor(response.apiKey) as ApiCodec<typeof response.apiKey> | undefined;
  assert(codec !== undefined && supports(codec, header.apiVersion), `a ${apiName(response.apiKey)} v${header.apiVersion} response answers a request that was decoded`);
  const w = new WireWriter();
  w.int32(0);
  writeResponseHeader(w, header.correlationId, responseHeaderVersion(response.apiKey, header.apiVersion));
  codec.encodeResponse(w, response as never, header.apiVersion);
  return sizedFrame(w);
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
  const codec = codecFor(apiKey);
  if (codec === undefined || !supports(codec as ApiCodec<ApiKey>, apiVersion)) {
    throw new TributaryError('UNSUPPORTED_VERSION', `no wire codec for ${apiName(apiKey)} v${apiVersion}`);
  }
  const code: ErrorCode = 'CORRUPT_MESSAGE';
  const r = new WireReader(message, code);
  const correlationId = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  let version = apiVersion;
  if (apiKey === ApiKey.ApiVersions && r.remaining >= 2) {
    // UNSUPPORTED_VERSION (35) is the first field of every ApiVersions version.
    const errorNumber = new DataView(message.buffer, message.byteOffset, message.byteLength).getInt16(r.position);
    if (errorNumber === 35) version = 0;
  }
  const response = codec.decodeResponse(r, version);
  r.done(`${apiName(apiKey)} v${version} response`);
  return { correlationId, response };
}
