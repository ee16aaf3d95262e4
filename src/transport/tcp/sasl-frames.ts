/**
 * The two SASL APIs on the wire, SaslHandshake (17, v0-1) and SaslAuthenticate (36, v0-2),
 * and the raw token framing of a SaslHandshake v0 exchange. They are the listener's
 * business, not the broker's (Kafka's `SaslServerAuthenticator` answers them before a
 * request reaches `KafkaApis`), so their few fields are read and written here:
 *
 * ```
 * SaslHandshake request      mechanism string
 * SaslHandshake response     errorCode int16, mechanisms [string]
 * SaslAuthenticate request   authBytes bytes                       (v2: compact, tagged fields)
 * SaslAuthenticate response  errorCode int16, errorMessage nullable string, authBytes bytes,
 *                            sessionLifetimeMs int64 (v1+)         (v2: compact, tagged fields, response header v1)
 * ```
 *
 * After a SaslHandshake v0 the client sends each token as a bare frame (size, then the
 * token, no request header) and gets each answer the same way; after v1 it wraps tokens in
 * SaslAuthenticate requests.
 * @internal
 */
import { TributaryError } from '../../util/errors.js';

export const saslHandshakeKey = 17;
export const saslAuthenticateKey = 36;
export const saslHandshakeVersions = { minVersion: 0, maxVersion: 1 } as const;
export const saslAuthenticateVersions = { minVersion: 0, maxVersion: 2 } as const;

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

class Cursor {
  at: number;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    at: number,
  ) {
    this.at = at;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): number {
    if (n < 0 || this.at + n > this.bytes.length) fail('the SASL request is truncated');
    const at = this.at;
    this.at += n;
    return at;
  }
  int16(): number {
    return this.view.getInt16(this.need(2));
  }
  int32(): number {
    return this.view.getInt32(this.need(4));
  }
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.bytes[this.need(1)]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return fail('a varint in the SASL request is too long');
  }
  take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  tags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.take(this.uvarint());
    }
  }
  done(): void {
    if (this.at !== this.bytes.length) fail('the SASL request has bytes left over');
  }
}

/** The mechanism a SaslHandshake request names. */
export function decodeSaslHandshake(message: Uint8Array, header: PeekedHeader): string {
  const c = new Cursor(message, header.end);
  const length = c.int16();
  const mechanism = Buffer.from(c.take(length)).toString('utf8');
  c.done();
  return mechanism;
}

/** The token a SaslAuthenticate request carries. */
export function decodeSaslAuthenticate(message: Uint8Array, header: PeekedHeader): Uint8Array {
  const c = new Cursor(message, header.end);
  const flexible = header.apiVersion >= 2;
  if (flexible) c.tags();
  const length = flexible ? c.uvarint() - 1 : c.int32();
  const token = c.take(length);
  if (flexible) c.tags();
  c.done();
  return token;
}

class Out {
  private readonly parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return this;
  }
  string(s: string, compact: boolean): this {
    const b = Buffer.from(s, 'utf8');
    return (compact ? this.uvarint(b.length + 1) : this.int16(b.length)).raw(b);
  }
  frame(): Uint8Array {
    const body = Buffer.concat(this.parts);
    const out = Buffer.alloc(body.length + 4);
    out.writeInt32BE(body.length);
    body.copy(out, 4);
    return out;
  }
}

/** A SaslHandshake response frame (response header v0; no version of it is flexible). */
export function encodeSaslHandshakeResponse(correlationId: number, errorCode: number, mechanisms: readonly string[]): Uint8Array {
  const o = new Out().int32(correlationId).int16(errorCode).int32(mechanisms.length);
  for (const m of mechanisms) o.string(m, false);
  return o.frame();
}

/** A SaslAuthenticate response frame at `version`. */
export function encodeSaslAuthenticateResponse(correlationId: number, version: number, errorCode: number, errorMessage: string | null, token: Uint8Array, sessionLifetimeMs = 0): Uint8Array {
  const flexible = version >= 2;
  const o = new Out().int32(correlationId);
  if (flexible) o.uvarint(0);
  o.int16(errorCode);
  if (errorMessage === null) {
    if (flexible) o.uvarint(0);
    else o.int16(-1);
  } else o.string(errorMessage, flexible);
  if (flexible) o.uvarint(token.length + 1);
  else o.int32(token.length);
  o.raw(token);
  if (version >= 1) o.int64(sessionLifetimeMs);
  if (flexible) o.uvarint(0);
  return o.frame();
}

/** A bare token frame (SaslHandshake v0's exchange). */
export function encodeRawToken(token: Uint8Array): Uint8Array {
  return new Out().raw(token).frame();
}
