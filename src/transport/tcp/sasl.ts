/**
 * The server side of SASL/PLAIN (RFC 4616) and SASL/SCRAM-SHA-256 and -512 (RFC 5802,
 * RFC 7677), as Kafka's `PlainSaslServer` and `ScramSaslServer` speak them. One
 * `SaslSession` per connection takes the client's tokens in order and answers each with a
 * token, until the user is known or the attempt failed.
 *
 * The users come from the cluster's options (`sasl.users`: name to password). SCRAM's
 * stored credentials (salt, StoredKey, ServerKey) are derived once per user and mechanism
 * with 4096 iterations, Kafka's minimum, so a login costs two HMACs, not a PBKDF2.
 * @internal
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { TributaryError } from '../../util/errors.js';

/** The mechanisms a listener can offer, by Kafka's names. */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const saslMechanisms: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** SASL settings of a listener. */
export interface SaslOptions {
  /** The mechanisms offered (`sasl.enabled.mechanisms`). Default: all three. */
  readonly mechanisms?: readonly SaslMechanism[];
  /** The users and their passwords. */
  readonly users: Readonly<Record<string, string>>;
}

interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const scramIterations = 4096;

/** The users of a listener, with SCRAM credentials derived on first use. */
export class SaslUsers {
  readonly mechanisms: readonly SaslMechanism[];
  private readonly passwords: Map<string, string>;
  private readonly scram = new Map<string, ScramCredential>();

  constructor(options: SaslOptions) {
    this.mechanisms = options.mechanisms ?? saslMechanisms;
    this.passwords = new Map(Object.entries(options.users));
  }

  checkPassword(user: string, password: string): boolean {
    const known = this.passwords.get(user);
    if (known === undefined) return false;
    const a = Buffer.from(known, 'utf8');
    const b = Buffer.from(password, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  scramCredential(user: string, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'): ScramCredential | undefined {
    const key = `${mechanism}\u0000${user}`;
    const cached = this.scram.get(key);
    if (cached) return cached;
    const password = this.passwords.get(user);
    if (password === undefined) return undefined;
    const hash = hashOf(mechanism);
    const salt = randomBytes(16);
    const salted = pbkdf2Sync(password.normalize('NFKC'), salt, scramIterations, hash === 'sha256' ? 32 : 64, hash);
    const clientKey = hmac(hash, salted, 'Client Key');
    const credential = { salt, storedKey: createHash(hash).update(clientKey).digest(), serverKey: hmac(hash, salted, 'Server Key') };
    this.scram.set(key, credential);
    return credential;
  }
}

/** What one step of an exchange gives: a token to send, and whether the exchange is over. */
export interface SaslStep {
  readonly token: Uint8Array;
  /** The authenticated user once the exchange succeeded; undefined while it goes on. */
  readonly user?: string;
}

/**
 * One authentication exchange. `step` takes the client's next token and returns the
 * server's answer; it throws `SASL_AUTHENTICATION_FAILED` for wrong credentials and
 * `ILLEGAL_SASL_STATE` for a token out of place.
 */
export class SaslSession {
  private state: 'first' | 'final' | 'done' = 'first';
  private scramState: { user: string; nonce: string; clientFirstBare: string; serverFirst: string } | undefined;

  constructor(
    readonly mechanism: SaslMechanism,
    private readonly users: SaslUsers,
  ) {}

  step(token: Uint8Array): SaslStep {
    if (this.state === 'done') throw new TributaryError('ILLEGAL_SASL_STATE', 'the SASL exchange is already over');
    return this.mechanism === 'PLAIN' ? this.plain(token) : this.scramStep(token);
  }

  /** PLAIN: one token, `authzid NUL authcid NUL password`; the authzid must be empty or the user. */
  private plain(token: Uint8Array): SaslStep {
    this.state = 'done';
    const parts = Buffer.from(token).toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new TributaryError('SASL_AUTHENTICATION_FAILED', 'Authentication failed: invalid SASL/PLAIN request: expected 3 tokens');
    const [authzid, user, password] = parts as [string, string, string];
    if (user === '') throw new TributaryError('SASL_AUTHENTICATION_FAILED', 'Authentication failed: username not specified');
    if (authzid !== '' && authzid !== user) throw new TributaryError('SASL_AUTHENTICATION_FAILED', 'Authentication failed: client requested an authorization id that is different from username');
    if (!this.users.checkPassword(user, password)) throw new TributaryError('SASL_AUTHENTICATION_FAILED', 'Authentication failed: Invalid username or password');
    return { token: new Uint8Array(0), user };
  }

  private scramStep(token: Uint8Array): SaslStep {
    const mechanism = this.mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
    const text = Buffer.from(token).toString('utf8');
    const fail = (why: string): never => {
      this.state = 'done';
      throw new TributaryError('SASL_AUTHENTICATION_FAILED', `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}${why ? `: ${why}` : ''}`);
    };
    if (this.state === 'first') {
      // client-first-message: gs2-header "n,," (no channel binding, no authzid or the user), then "n=user,r=nonce[,...]"
      const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(text);
      if (!m) return fail('invalid client-first-message');
      const clientFirstBare = m[3]!;
      const attrs = parseAttributes(clientFirstBare);
      const user = attrs.get('n');
      const clientNonce = attrs.get('r');
      if (user === undefined || clientNonce === undefined || clientNonce === '') return fail('invalid client-first-message');
      const name = user.replace(/=2C/g, ',').replace(/=3D/g, '=');
      const credential = this.users.scramCredential(name, mechanism);
      if (credential === undefined) return fail('');
      const nonce = clientNonce + randomBytes(18).toString('base64url');
      const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${scramIterations}`;
      this.scramState = { user: name, nonce, clientFirstBare, serverFirst };
      this.state = 'final';
      return { token: Buffer.from(serverFirst, 'utf8') };
    }
    this.state = 'done';
    const s = this.scramState!;
    // client-final-message: "c=<channel binding>,r=<nonce>[,...],p=<proof>"
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) return fail('invalid client-final-message');
    const withoutProof = text.slice(0, proofAt);
    const attrs = parseAttributes(withoutProof);
    // Kafka accepts a final nonce that ends with the server's (ScramSaslServer): librdkafka
    // 2.0 sends the client's nonce, then the server's whole nonce, which starts with it again.
    if (!(attrs.get('r') ?? '').endsWith(s.nonce)) return fail('invalid nonce');
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const hash = hashOf(mechanism);
    const credential = this.users.scramCredential(s.user, mechanism)!;
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${withoutProof}`;
    const clientSignature = hmac(hash, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) return fail('');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(createHash(hash).update(clientKey).digest(), credential.storedKey)) return fail('');
    const serverSignature = hmac(hash, credential.serverKey, authMessage);
    return { token: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: s.user };
  }
}

function hashOf(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

function hmac(hash: string, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data, 'utf8').digest();
}

function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** Checks a listener's SASL options; throws `INVALID_CONFIG`. */
export function validateSaslOptions(o: SaslOptions): void {
  const bad = (why: string): never => {
    throw new TributaryError('INVALID_CONFIG', `sasl ${why}`, { option: 'sasl' });
  };
  if (o === null || typeof o !== 'object') bad('must be an object');
  if (o.users === null || typeof o.users !== 'object') bad('.users must map user names to passwords');
  for (const [name, password] of Object.entries(o.users)) {
    if (name === '' || typeof password !== 'string') bad(`.users: user ${JSON.stringify(name)} needs a name and a string password`);
  }
  if (o.mechanisms !== undefined) {
    if (!Array.isArray(o.mechanisms) || o.mechanisms.length === 0) bad('.mechanisms must be a non-empty list');
    for (const m of o.mechanisms) if (!saslMechanisms.includes(m)) bad(`.mechanisms: ${String(m)} is not one of ${saslMechanisms.join(', ')}`);
  }
}
