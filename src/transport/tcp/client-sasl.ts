/**
 * The client side of SASL/PLAIN (RFC 4616) and SASL/SCRAM-SHA-256 and -512 (RFC 5802,
 * RFC 7677), as Kafka's `SaslClientAuthenticator` speaks them: a SaslHandshake v1 naming
 * the mechanism, then SaslAuthenticate requests carrying the tokens (both through the wire
 * codec, `client-connection.ts`). This file holds the mechanisms' token exchanges; the
 * listener's side of the same exchange is `sasl.ts`.
 * @internal
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { TributaryError } from '../../util/errors.js';
import type { SaslMechanism } from './sasl.js';

/** What `connect({ sasl })` takes: Kafka's `sasl.mechanism`, `sasl.username`, `sasl.password`. */
export interface SaslClientOptions {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** One exchange: the first token, then an answer to each server token until `done`. */
export interface SaslClientExchange {
  first(): Uint8Array;
  /** Takes the server's token; returns the next token to send, or null when the exchange is complete. */
  next(serverToken: Uint8Array): Uint8Array | null;
}

export function saslExchange(o: SaslClientOptions): SaslClientExchange {
  if (o.mechanism === 'PLAIN') {
    return {
      first: () => Buffer.from(`\u0000${o.username}\u0000${o.password}`, 'utf8'),
      next: () => null,
    };
  }
  return new ScramClient(o.mechanism, o.username, o.password);
}

const fail = (why: string): never => {
  throw new TributaryError('SASL_AUTHENTICATION_FAILED', `Authentication failed: ${why}`);
};

class ScramClient implements SaslClientExchange {
  private readonly hash: 'sha256' | 'sha512';
  private readonly nonce = randomBytes(24).toString('base64url');
  private readonly clientFirstBare: string;
  private state: 'first' | 'final' | 'verify' | 'done' = 'first';
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
    user: string,
    private readonly password: string,
  ) {
    this.hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
  }

  first(): Uint8Array {
    this.state = 'final';
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  next(serverToken: Uint8Array): Uint8Array | null {
    const text = Buffer.from(serverToken).toString('utf8');
    if (this.state === 'final') {
      const attrs = parseAttributes(text);
      const nonce = attrs.get('r');
      const salt = attrs.get('s');
      const iterations = Number(attrs.get('i'));
      if (attrs.has('e')) fail(`${this.mechanism} server error ${attrs.get('e')}`);
      if (nonce === undefined || !nonce.startsWith(this.nonce) || nonce.length <= this.nonce.length) fail('invalid server nonce');
      if (salt === undefined || !Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) fail('invalid server-first-message');
      const salted = pbkdf2Sync(this.password.normalize('NFKC'), Buffer.from(salt!, 'base64'), iterations, this.hash === 'sha256' ? 32 : 64, this.hash);
      const clientKey = hmac(this.hash, salted, 'Client Key');
      const storedKey = createHash(this.hash).update(clientKey).digest();
      const withoutProof = `c=biws,r=${nonce!}`;
      const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
      const signature = hmac(this.hash, storedKey, authMessage);
      const proof = Buffer.alloc(clientKey.length);
      for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
      this.serverSignature = hmac(this.hash, hmac(this.hash, salted, 'Server Key'), authMessage);
      this.state = 'verify';
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
    }
    if (this.state === 'verify') {
      this.state = 'done';
      const attrs = parseAttributes(text);
      if (attrs.has('e')) fail(`${this.mechanism} server error ${attrs.get('e')}`);
      const v = Buffer.from(attrs.get('v') ?? '', 'base64');
      // The server proves it knows the password too: a broker that cannot is an impostor.
      if (v.length !== this.serverSignature!.length || !timingSafeEqual(v, this.serverSignature!)) fail('the server signature does not match');
      return null;
    }
    return fail('unexpected SCRAM message');
  }
}

function hmac(hash: string, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data, 'utf8').digest();
}

function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) if (part[1] === '=') out.set(part[0]!, part.slice(2));
  return out;
}
