/**
 * What the listener reads and writes outside the codec: the fixed fields of a request
 * header, read before it chooses how to handle a request (SASL gating, routing), and the
 * raw token framing of a SaslHandshake v0 exchange, where after the handshake the client
 * sends each SASL token as a bare frame (size, then the token, no request header) and gets
 * each answer the same way. (After a SaslHandshake v1 the tokens travel inside
 * SaslAuthenticate requests, which the codec reads like any other API.)
 * @internal
 */
import { TributaryError } from '../../util/errors.js';

/** The request header as the listener reads it before choosing a decoder. */
export interface PeekedHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** Where the header's fixed fields and client id end (tagged fields, for a flexible version, follow). */
  readonly end: number;
}

function fail(why: string): never {
  throw new TributaryError('INVALID_REQUEST', why);
}

/** Reads the header fields every request version shares (request header v1). */
export function peekHeader(message: Uint8Array): PeekedHeader {
  if (message.length < 10) fail(`a request of ${message.length} bytes is shorter than a request header`);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const apiKey = view.getInt16(0);
  const apiVersion = view.getInt16(2);
  const correlationId = view.getInt32(4);
  const length = view.getInt16(8);
  let clientId: string | null = null;
  let end = 10;
  if (length >= 0) {
    if (10 + length > message.length) fail('the client id runs past the end of the request');
    clientId = Buffer.from(message.buffer, message.byteOffset + 10, length).toString('utf8');
    end += length;
  }
  return { apiKey, apiVersion, correlationId, clientId, end };
}

/** A bare token frame (SaslHandshake v0's exchange). */
export function encodeRawToken(token: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + token.length);
  new DataView(out.buffer).setInt32(0, token.length);
  out.set(token, 4);
  return out;
}
