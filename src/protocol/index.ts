/**
 * The protocol layer: the request and response types every client call is made of, their
 * validation, and the Kafka wire codec that translates them at the edge. See
 * docs/design/protocol.md.
 */
export {
  ApiKey,
  apiVersions,
  apiName,
  isApiKey,
  isFlexibleVersion,
  isSupportedVersion,
  type ApiName,
  type ApiVersionRange,
} from './api-keys.js';
export {
  IsolationLevel,
  CoordinatorType,
  ListOffsetsTimestamp,
  consumerReplicaId,
  debuggingReplicaId,
  noLeaderEpoch,
  authorizedOperationsOmitted,
} from './common.js';
export { EndpointType } from './cluster.js';
export type { Apis, RequestOf, ResponseOf, Request, Response, ResponseFor, Sender, RequestHandler } from './requests.js';
export type * from './produce.js';
export type * from './fetch.js';
export type * from './cluster.js';
export type * from './admin.js';
export type * from './acls.js';
export type * from './log-dirs.js';
export type * from './transactions.js';
export type * from './group.js';
export type * from './sasl.js';
export { validateRequest, validateRequestOf, requestBytesMax, requestItemsMax, requestStringLengthMax } from './validate.js';
export { sampleRequests } from './samples.js';
export {
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  encodeResponseChunks,
  frameBytesMax,
  wireApiVersions,
  advertisedApiVersions,
  servedApiVersions,
  isServed,
  type WireApiVersion,
  type DecodedRequest,
  type DecodedResponse,
  type RequestHeaderInput,
  type ResponseHeaderInput,
} from './wire/codec.js';
export type { RequestHeader } from './wire/header.js';
export { ByteReader } from '../util/byte-reader.js';
export { ByteWriter } from '../util/byte-writer.js';
