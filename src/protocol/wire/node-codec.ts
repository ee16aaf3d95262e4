/**
 * The wire codec of the messages between the nodes of a cluster: KRaft's (Vote,
 * BeginQuorumEpoch, Fetch in its KRaft form, FetchSnapshot), the broker's to the
 * controller (BrokerRegistration, BrokerHeartbeat, AlterPartition, AllocateProducerIds,
 * Envelope) and a leader's LeaderAndIsr to its followers. The same interpreter as the
 * client codec (`plan.ts`) reads and writes them, from their descriptions
 * (`../schema/kraft.ts`, `../schema/broker-controller.ts`); only the registry differs, so
 * that a broker's ApiVersions answer never advertises them to a client (in Kafka they
 * live on the controller listener, and LeaderAndIsr on the ZooKeeper-era broker's).
 *
 * A message here is one whole request or response without the 4-byte size prefix (a
 * transport between nodes keeps message boundaries itself): the request header (v2 for
 * a flexible version, v1 otherwise), then the body. Bodies are the descriptions' wire
 * shapes (`WireShape`), not in-process types: the node layer (`src/node/`) maps them to
 * Raft's messages and the controller's requests.
 *
 * Decoding takes untrusted bytes: anything malformed is a `TributaryError`, with
 * `INVALID_REQUEST` for a request and `CORRUPT_MESSAGE` for a response, and an API or
 * version not served is `UNSUPPORTED_VERSION`; it never throws anything else.
 * @internal
 */
import { ByteReader } from '../../util/byte-reader.js';
import { ByteWriter } from '../../util/byte-writer.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { TributaryError, isTributaryError } from '../../util/errors.js';
import * as bc from '../schema/broker-controller.js';
import type { ApiSpec } from '../schema/index.js';
import * as kraft from '../schema/kraft.js';
import { inVersions, versionBounds, type MessageSpec, type WireShape } from '../schema/spec.js';
import { readRequestHeaderFields, readResponseHeader, writeRequestHeader, writeResponseHeader, type RequestHeader } from './header.js';
import { planFor } from './plan.js';

/** The node APIs by api key, with the version each is sent at (the highest of its descriptions', as Kafka picks). */
export const nodeApiSpecs = {
  1: { request: kraft.FetchRequestKRaft, response: kraft.FetchResponseKRaft },
  4: { request: bc.LeaderAndIsrRequest, response: bc.LeaderAndIsrResponse },
  52: { request: kraft.VoteRequest, response: kraft.VoteResponse },
  53: { request: kraft.BeginQuorumEpochRequest, response: kraft.BeginQuorumEpochResponse },
  56: { request: bc.AlterPartitionRequest, response: bc.AlterPartitionResponse },
  58: { request: bc.EnvelopeRequest, response: bc.EnvelopeResponse },
  59: { request: kraft.FetchSnapshotRequest, response: kraft.FetchSnapshotResponse },
  62: { request: bc.BrokerRegistrationRequest, response: bc.BrokerRegistrationResponse },
  63: { request: bc.BrokerHeartbeatRequest, response: bc.BrokerHeartbeatResponse },
  67: { request: bc.AllocateProducerIdsRequest, response: bc.AllocateProducerIdsResponse },
} as const satisfies Record<number, ApiSpec>;

export type NodeApiKey = keyof typeof nodeApiSpecs;
/** A node API's request body at its wire shape. */
export type NodeRequestBody<K extends NodeApiKey> = WireShape<(typeof nodeApiSpecs)[K]['request']>;
/** A node API's response body at its wire shape. */
export type NodeResponseBody<K extends NodeApiKey> = WireShape<(typeof nodeApiSpecs)[K]['response']>;

/** The names of the node APIs, for messages. */
const names: Record<NodeApiKey, string> = { 1: 'Fetch', 4: 'LeaderAndIsr', 52: 'Vote', 53: 'BeginQuorumEpoch', 56: 'AlterPartition', 58: 'Envelope', 59: 'FetchSnapshot', 62: 'BrokerRegistration', 63: 'BrokerHeartbeat', 67: 'AllocateProducerIds' };

type Obj = Record<string, unknown>;

function specOf(apiKey: number): ApiSpec | undefined {
  return Object.hasOwn(nodeApiSpecs, apiKey) ? (nodeApiSpecs as Record<number, ApiSpec>)[apiKey] : undefined;
}

/** Whether `version` of `apiKey` is a node API version this codec serves (Fetch only in its KRaft form, v15-17). */
export function isNodeApi(apiKey: number, version: number): boolean {
  const bounds = served.get(apiKey);
  return bounds !== undefined && Number.isInteger(version) && version >= bounds[0] && version <= bounds[1];
}

/** The served versions by api key, parsed once: `isNodeApi` runs for every message between nodes. */
const served = new Map(Object.values(nodeApiSpecs).map((s) => [s.request.apiKey as number, versionBounds(s.request.validVersions)!] as const));

/** Every version served of a node API, lowest first. */
export function nodeApiVersions(apiKey: NodeApiKey): number[] {
  const [low, high] = versionBounds(nodeApiSpecs[apiKey].request.validVersions)!;
  const out: number[] = [];
  for (let v = low; v <= high; v++) out.push(v);
  return out;
}

/** The version a node sends an API at: the highest served. */
export function nodeApiVersion(apiKey: NodeApiKey): number {
  return served.get(apiKey)![1]; // parsed once: every Raft message asks (versionBounds showed in a node's profile)
}

function name(apiKey: number): string {
  return (names as Record<number, string>)[apiKey] ?? `api ${apiKey}`;
}

function checkServed(apiKey: number, version: number): ApiSpec {
  const spec = specOf(apiKey);
  if (spec === undefined || !isNodeApi(apiKey, version)) throw new TributaryError('UNSUPPORTED_VERSION', `no node codec for ${name(apiKey)} v${version}`);
  return spec;
}

/** Runs a decoder on untrusted bytes: whatever goes wrong is a `TributaryError` of `code`. */
function untrusted<T>(code: ErrorCode, what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (isTributaryError(err)) throw err;
    throw new TributaryError(code, `malformed ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Encodes a node request (header and body, no size prefix). Throws `UNSUPPORTED_VERSION`
 * for an API or version not served, or a body the version cannot carry.
 */
export function encodeNodeRequest<K extends NodeApiKey>(apiKey: K, apiVersion: number, body: NodeRequestBody<K>, correlationId = 0, clientId: string | null = null): Uint8Array {
  const spec = checkServed(apiKey, apiVersion);
  const plan = planFor(spec.request, apiVersion, `${name(apiKey)} request`);
  const w = new ByteWriter();
  writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId }, plan.flexible ? 2 : 1);
  plan.write(w, body as Obj);
  return w.finish().slice();
}

/** A decoded node request. */
export interface DecodedNodeRequest {
  readonly header: RequestHeader;
  readonly body: Obj;
}

/** Reads only the request header (api key, version, correlation id, client id): `INVALID_REQUEST` if it is malformed. */
export function peekRequestHeader(message: Uint8Array): RequestHeader {
  return untrusted('INVALID_REQUEST', 'request header', () => readRequestHeaderFields(new ByteReader(message, 'INVALID_REQUEST')));
}

/**
 * Decodes one node request message. `INVALID_REQUEST` for malformed bytes,
 * `UNSUPPORTED_VERSION` for an API or version not served. The body's values are checked
 * for encoding only; the node layer checks what they mean.
 */
export function decodeNodeRequest(message: Uint8Array): DecodedNodeRequest {
  return untrusted('INVALID_REQUEST', 'node request', () => {
    const r = new ByteReader(message, 'INVALID_REQUEST');
    const header = readRequestHeaderFields(r);
    const spec = checkServed(header.apiKey, header.apiVersion);
    const plan = planFor(spec.request, header.apiVersion, `${name(header.apiKey)} request`);
    r.tags(plan.flexible);
    const body = plan.read(r, {});
    r.done(`${name(header.apiKey)} v${header.apiVersion} request`);
    return { header, body };
  });
}

/** Encodes a node response (header and body, no size prefix) in the version of the request it answers. */
export function encodeNodeResponse<K extends NodeApiKey>(apiKey: K, apiVersion: number, body: NodeResponseBody<K>, correlationId = 0): Uint8Array {
  const spec = checkServed(apiKey, apiVersion);
  const plan = planFor(spec.response, apiVersion, `${name(apiKey)} response`);
  const w = new ByteWriter();
  writeResponseHeader(w, correlationId, plan.flexible ? 1 : 0);
  plan.write(w, body as Obj);
  return w.finish().slice();
}

/**
 * Decodes one node response message to a request of `apiKey` at `apiVersion`:
 * `CORRUPT_MESSAGE` for malformed bytes.
 */
export function decodeNodeResponse<K extends NodeApiKey>(apiKey: K, apiVersion: number, message: Uint8Array): { correlationId: number; body: NodeResponseBody<K> } {
  const spec = checkServed(apiKey, apiVersion);
  return untrusted('CORRUPT_MESSAGE', `${name(apiKey)} response`, () => {
    const plan = planFor(spec.response, apiVersion, `${name(apiKey)} response`);
    const r = new ByteReader(message, 'CORRUPT_MESSAGE');
    const correlationId = readResponseHeader(r, plan.flexible ? 1 : 0);
    const body = plan.read(r, {});
    r.done(`${name(apiKey)} v${apiVersion} response`);
    return { correlationId, body: body as NodeResponseBody<K> };
  });
}

/** The description of a node API's request or response (tests walk them). */
export function nodeMessageSpec(apiKey: NodeApiKey, type: 'request' | 'response'): MessageSpec {
  return nodeApiSpecs[apiKey][type];
}
