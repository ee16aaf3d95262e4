/**
 * Kafka's request and response headers (`RequestHeader.json`, `ResponseHeader.json`):
 *
 * ```
 * request header v1   apiKey int16, apiVersion int16, correlationId int32, clientId nullable string (int16 length)
 * request header v2   v1, then tagged fields
 * response header v0  correlationId int32
 * response header v1  v0, then tagged fields
 * ```
 *
 * A flexible version of an API uses request header v2 and response header v1; the client id
 * keeps its int16 length even then. ApiVersions always answers with response header v0, so
 * a client that does not yet know which versions the broker speaks can read the answer.
 */
import { ApiKey } from '../api-keys.js';
import { apiSpecs } from '../schema/index.js';
import { inVersions } from '../schema/spec.js';
import type { ByteReader } from '../../util/byte-reader.js';
import type { ByteWriter } from '../../util/byte-writer.js';

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The client's `client.id`, or null. */
  readonly clientId: string | null;
}

function isFlexible(apiKey: number, apiVersion: number): boolean {
  const spec = (apiSpecs as Record<number, { readonly request: { readonly flexibleVersions: Parameters<typeof inVersions>[0] } } | undefined>)[apiKey];
  return spec !== undefined && inVersions(spec.request.flexibleVersions, apiVersion);
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

export function writeRequestHeader(w: ByteWriter, header: RequestHeader, version: 1 | 2): void {
  w.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId).nullableString(false, header.clientId);
  w.tags(version === 2);
}

/** Reads the fields common to v1 and v2; the caller reads the tagged fields once it knows the version. */
export function readRequestHeaderFields(r: ByteReader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString(false);
  return { apiKey, apiVersion, correlationId, clientId };
}

export function writeResponseHeader(w: ByteWriter, correlationId: number, version: 0 | 1): void {
  w.int32(correlationId).tags(version === 1);
}

export function readResponseHeader(r: ByteReader, version: 0 | 1): number {
  const correlationId = r.int32();
  r.tags(version === 1);
  return correlationId;
}
