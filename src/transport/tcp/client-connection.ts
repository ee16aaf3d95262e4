/**
 * One client connection to one broker: Kafka's `KafkaChannel` and the part of
 * `NetworkClient` that owns a node's in-flight requests.
 *
 * Setup, in Kafka's order: TCP (or TLS) connect, ApiVersions (v3 first; on
 * UNSUPPORTED_VERSION the broker answered in v0 with its own range, KIP-511, and the request
 * is repeated at the highest version both sides know), then SASL when configured. After
 * that every request goes out at the highest version both the codec and the broker serve.
 *
 * Pipelining: up to `maxInFlight` requests are on the wire at once
 * (`max.in.flight.requests.per.connection`); more wait in order. A broker answers a
 * connection's requests in the order they came, so every answer must carry the correlation
 * id of the oldest request in flight. Anything else (an answer nobody asked for, a wrong
 * correlation id, a size outside [0, `frameBytesMax`]) is a broken protocol: the connection
 * closes and every request on it rejects with a retriable `NETWORK_EXCEPTION`, as Java's
 * `NetworkClient.correlate` does. A request without an answer within its timeout rejects with
 * `REQUEST_TIMED_OUT` and closes the connection too (a late answer would be out of step).
 * A Produce with acks=0 gets no answer: it resolves as soon as it is written.
 * @internal
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ApiKey, apiName } from '../../protocol/api-keys.js';
import type { ApiVersion, ApiVersionsResponse } from '../../protocol/cluster.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/produce.js';
import type { Request, Response, ResponseFor } from '../../protocol/requests.js';
import { decodeResponse, encodeRequest, servedApiVersions } from '../../protocol/wire/codec.js';
import { isTributaryError, TributaryError } from '../../util/errors.js';
import { durationMsMax } from '../../util/options.js';
import { saslExchange, type SaslClientOptions } from './client-sasl.js';
import { FrameReader } from './frame-reader.js';

/** The ApiVersions version asked first: v3 carries the client's name and version (KIP-511). */
const apiVersionsFirst = 3;
const softwareName = 'tributary-log';
const softwareVersion = '0.0.0';

export interface BrokerConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string | null;
  /** `node:tls` options (CA, client key and certificate, SNI); undefined for plain TCP. */
  readonly tls: TlsConnectionOptions | undefined;
  readonly sasl: SaslClientOptions | undefined;
  readonly maxInFlight: number;
  readonly requestTimeoutMs: number;
  /** `socket.connection.setup.timeout.ms`: connect, ApiVersions and SASL must finish within it. */
  readonly connectionSetupTimeoutMs: number;
  /** The largest answer accepted. */
  readonly frameBytesMax: number;
  /** Caps on negotiated versions, by API key. */
  readonly apiVersionsMax: Readonly<Record<number, number>>;
  /** Aborted when the client closes: a connection being set up gives up at once (NETWORK_EXCEPTION). */
  readonly signal?: AbortSignal;
}

interface Waiting {
  readonly what: string;
  /** Builds the frame once a correlation id is assigned. */
  readonly frame: (correlationId: number) => Uint8Array;
  /** Reads the answer (the whole message, correlation id included); undefined for no answer (acks=0). */
  readonly decode: ((message: Uint8Array) => unknown) | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  readonly timeoutMs: number;
  timer?: ReturnType<typeof setTimeout>;
  correlationId?: number;
}

/**
 * How a caller gives up on a request (its `AbortSignal` fired): `aborted` is set, and `drop`
 * (set by the connection once the request is queued) removes it while it is still queued.
 * A request already on the wire stays in the in-flight list, so its answer is still matched
 * by correlation id, and is thrown away; the caller's promise has already rejected.
 */
export interface Cancel {
  aborted: boolean;
  drop: (() => void) | undefined;
}

export class BrokerConnection {
  private readonly reader: FrameReader;
  private readonly inFlight: Waiting[] = [];
  private readonly queued: Waiting[] = [];
  /** Re-authentication requests (KIP-368): written before anything queued, which waits for them. */
  private readonly urgent: Waiting[] = [];
  /**
   * KIP-368: when the broker gave the SASL session a lifetime, the monotonic time from which
   * the next request waits for a re-authentication first (85-95% of the lifetime, as
   * Kafka's clients pick it), and whether one is running.
   */
  private reauthDueAtMs: number | undefined;
  private reauthenticating = false;
  /** Re-authentications done on this connection (KIP-368; for tests and monitoring). */
  reauthentications = 0;
  private nextCorrelationId = 0;
  private closedReason: string | undefined;
  private versions = new Map<number, { min: number; max: number }>();
  /** Called once when the connection closes, for whatever reason. */
  onClose: ((reason: string) => void) | undefined;
  /** Resolves once the socket has closed. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly options: BrokerConnectionOptions,
  ) {
    this.reader = new FrameReader(options.frameBytesMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close('the broker closed the connection'));
    this.closed = new Promise<void>((resolve) => {
      if (socket.closed) resolve();
      else socket.once('close', () => resolve());
    });
  }

  /** Connects, negotiates versions and authenticates; rejects with a typed error. */
  static async open(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const socket = await openSocket(options);
    const connection = new BrokerConnection(socket, options);
    const timer = setTimeout(() => connection.close(`connection setup took more than ${options.connectionSetupTimeoutMs} ms`), options.connectionSetupTimeoutMs);
    const onAbort = (): void => connection.close('the client closed');
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await connection.negotiate();
      if (options.sasl !== undefined) await connection.authenticate(options.sasl);
      return connection;
    } catch (err) {
      connection.close(isTributaryError(err) ? err.message : String(err));
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  /** The broker's version range of an API, as its ApiVersions answer gave it. */
  brokerVersions(apiKey: number): { min: number; max: number } | undefined {
    return this.versions.get(apiKey);
  }

  /** The version a request of `apiKey` goes out at: the highest both the codec and the broker serve. */
  versionFor(apiKey: number): number {
    const ours = servedApiVersions.find((a) => a.apiKey === apiKey);
    const theirs = this.versions.get(apiKey);
    if (ours === undefined || theirs === undefined || Math.max(ours.minVersion, theirs.min) > Math.min(ours.maxVersion, theirs.max)) {
      throw new TributaryError('UNSUPPORTED_VERSION', `${this.label}: no version of ${apiName(apiKey)} that both sides serve (ours ${ours ? `${ours.minVersion}-${ours.maxVersion}` : 'none'}, the broker's ${theirs ? `${theirs.min}-${theirs.max}` : 'none'})`);
    }
    const best = Math.min(ours.maxVersion, theirs.max);
    const cap = this.options.apiVersionsMax[apiKey];
    return cap === undefined ? best : Math.max(Math.max(ours.minVersion, theirs.min), Math.min(best, cap));
  }

  /** Sends a request and resolves with its answer (`cancel`: see {@link Cancel}). */
  send<R extends Request>(request: R, cancel?: Cancel): Promise<ResponseFor<R>> {
    return this.sendAs(request, cancel, false);
  }

  private sendAs<R extends Request>(request: R, cancel: Cancel | undefined, urgent: boolean): Promise<ResponseFor<R>> {
    const apiVersion = this.versionFor(request.apiKey);
    const wire = adaptForVersion(request, apiVersion);
    const clientId = this.options.clientId;
    const noResponse = request.apiKey === ApiKey.Produce && (request as ProduceRequest).acks === 0;
    const timeoutMs = timeoutFor(request, this.options.requestTimeoutMs);
    return this.enqueue<ResponseFor<R>>({
      what: `${apiName(request.apiKey)} v${apiVersion}`,
      frame: (correlationId) => encodeRequest(wire, { apiVersion, correlationId, clientId }),
      decode: noResponse ? undefined : (message) => decodeResponse(request.apiKey, apiVersion, message).response,
      timeoutMs,
    }, cancel, urgent).then((r) => (noResponse ? (unanswered(request as ProduceRequest) as ResponseFor<R>) : r));
  }

  /** Closes the socket; every request still waiting rejects with a retriable NETWORK_EXCEPTION. */
  close(reason = 'closed by the client'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.socket.destroy();
    const waiting = [...this.inFlight, ...this.urgent, ...this.queued];
    this.inFlight.length = 0;
    this.urgent.length = 0;
    this.queued.length = 0;
    for (const w of waiting) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.reject(new TributaryError('NETWORK_EXCEPTION', `${this.label}: ${w.what}: ${reason}`));
    }
    this.onClose?.(reason);
  }

  private get label(): string {
    return `broker ${this.options.host}:${this.options.port}`;
  }

  // ------------------------------------------------------------------ setup

  private async negotiate(): Promise<void> {
    let version = apiVersionsFirst;
    for (let attempt = 0; attempt < 4; attempt++) {
      const v = version;
      const response = await this.enqueue<ApiVersionsResponse>({
        what: `ApiVersions v${v}`,
        frame: (correlationId) => encodeRequest({ apiKey: ApiKey.ApiVersions, clientSoftwareName: softwareName, clientSoftwareVersion: softwareVersion }, { apiVersion: v, correlationId, clientId: this.options.clientId }),
        decode: (message) => decodeApiVersions(v, message),
        timeoutMs: this.options.requestTimeoutMs,
      });
      if (response.errorCode === 'NONE') {
        this.versions = new Map(response.apiKeys.map((a: ApiVersion) => [a.apiKey as number, { min: a.minVersion, max: a.maxVersion }]));
        return;
      }
      if (response.errorCode !== 'UNSUPPORTED_VERSION' || v === 0) {
        throw new TributaryError(response.errorCode, `${this.label}: ApiVersions v${v} failed with ${response.errorCode}`);
      }
      // KIP-511: the broker answered in v0 with its own range; ask again below what we sent.
      const theirs = response.apiKeys.find((a) => (a.apiKey as number) === ApiKey.ApiVersions);
      version = theirs === undefined ? 0 : Math.max(0, Math.min(v - 1, theirs.maxVersion));
    }
    throw new TributaryError('UNSUPPORTED_VERSION', `${this.label}: no ApiVersions version both sides speak`);
  }

  /**
   * SaslHandshake v1, then SaslAuthenticate at the highest version both sides serve, until
   * the mechanism's exchange is complete. Kafka closes the connection after a failure, so
   * the error is the broker's code (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM),
   * never retriable. The last answer's `sessionLifetimeMs` (KIP-368) sets when the next
   * re-authentication is due; `urgent` sends the exchange ahead of queued requests (a
   * re-authentication on a connection in use).
   */
  private async authenticate(sasl: SaslClientOptions, urgent = false): Promise<void> {
    const handshake = this.versions.get(ApiKey.SaslHandshake);
    if (handshake === undefined || handshake.max < 1 || !this.versions.has(ApiKey.SaslAuthenticate)) {
      throw new TributaryError('ILLEGAL_SASL_STATE', `${this.label} does not offer SaslHandshake v1 and SaslAuthenticate`);
    }
    const hs = await this.sendAs({ apiKey: ApiKey.SaslHandshake, mechanism: sasl.mechanism }, undefined, urgent);
    if (hs.errorCode !== 'NONE') {
      throw new TributaryError(hs.errorCode, `${this.label}: SASL mechanism ${sasl.mechanism} refused (${hs.errorCode}; the broker offers ${hs.mechanisms.join(', ') || 'none'})`);
    }
    const exchange = saslExchange(sasl);
    let token: Uint8Array | null = exchange.first();
    let lifetimeMs = 0;
    while (token !== null) {
      const answer = await this.sendAs({ apiKey: ApiKey.SaslAuthenticate, authBytes: token }, undefined, urgent);
      if (answer.errorCode !== 'NONE') {
        throw new TributaryError(answer.errorCode === 'UNKNOWN_SERVER_ERROR' ? 'SASL_AUTHENTICATION_FAILED' : answer.errorCode, `${this.label}: ${answer.errorMessage ?? 'SASL authentication failed'}`);
      }
      lifetimeMs = answer.sessionLifetimeMs ?? 0;
      token = exchange.next(answer.authBytes);
    }
    // Kafka's clients re-authenticate at a random 85-95% of the session's lifetime, so that
    // many connections opened together do not all re-authenticate at once.
    this.reauthDueAtMs = lifetimeMs > 0 ? performance.now() + lifetimeMs * (0.85 + Math.random() * 0.1) : undefined;
  }

  /**
   * KIP-368: authenticates again on this connection, once nothing is in flight (the broker
   * takes nothing else meanwhile); queued requests wait for it. A failure closes the
   * connection (its requests reject with retriable NETWORK_EXCEPTION; the next connection
   * authenticates afresh and reports a refusal as it would).
   */
  private async reauthenticate(): Promise<void> {
    this.reauthenticating = true;
    try {
      await this.authenticate(this.options.sasl!, true);
      this.reauthentications++;
    } catch (err) {
      this.close(`SASL re-authentication failed: ${isTributaryError(err) ? err.message : String(err)}`);
      return;
    } finally {
      this.reauthenticating = false;
    }
    this.pump();
  }

  // ------------------------------------------------------------------ requests

  private enqueue<T>(w: Omit<Waiting, 'resolve' | 'reject'>, cancel?: Cancel, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closedReason !== undefined) {
        reject(new TributaryError('NETWORK_EXCEPTION', `${this.label}: ${w.what}: ${this.closedReason}`));
        return;
      }
      const waiting: Waiting = { ...w, resolve: resolve as (v: unknown) => void, reject };
      waiting.timer = setTimeout(() => this.timedOut(waiting), w.timeoutMs);
      (urgent ? this.urgent : this.queued).push(waiting);
      if (cancel !== undefined) {
        cancel.drop = () => {
          const i = this.queued.indexOf(waiting);
          if (i < 0) return; // on the wire: its answer is matched and dropped
          this.queued.splice(i, 1);
          clearTimeout(waiting.timer);
        };
      }
      this.pump();
    });
  }

  /** Writes queued requests while fewer than `maxInFlight` are unanswered. */
  private pump(): void {
    // KIP-368: a re-authentication that is due starts once nothing is in flight, before the next request.
    if (this.reauthDueAtMs !== undefined && !this.reauthenticating && this.closedReason === undefined && this.queued.length > 0 && this.inFlight.length === 0 && performance.now() >= this.reauthDueAtMs) {
      this.reauthDueAtMs = undefined;
      void this.reauthenticate();
      return;
    }
    while (this.closedReason === undefined && this.inFlight.length < this.options.maxInFlight) {
      let w: Waiting;
      if (this.urgent.length > 0) w = this.urgent.shift()!;
      else if (!this.reauthenticating && (this.reauthDueAtMs === undefined || performance.now() < this.reauthDueAtMs) && this.queued.length > 0) w = this.queued.shift()!;
      else break;
      const correlationId = this.nextCorrelationId;
      this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
      let frame: Uint8Array;
      try {
        frame = w.frame(correlationId);
      } catch (err) {
        // The request cannot be said at the negotiated version: its caller's error, not the connection's.
        clearTimeout(w.timer);
        w.reject(err);
        continue;
      }
      w.correlationId = correlationId;
      this.socket.write(frame);
      if (w.decode === undefined) {
        clearTimeout(w.timer);
        w.resolve(undefined);
      } else this.inFlight.push(w);
    }
  }

  private timedOut(w: Waiting): void {
    w.timer = undefined;
    const i = this.inFlight.indexOf(w);
    const list = i >= 0 ? this.inFlight : this.queued.includes(w) ? this.queued : this.urgent.includes(w) ? this.urgent : undefined;
    if (list === undefined) return;
    list.splice(list.indexOf(w), 1);
    w.reject(new TributaryError('REQUEST_TIMED_OUT', `${this.label}: ${w.what}: no response within ${w.timeoutMs} ms (request.timeout.ms)`));
    // A late answer would no longer match the oldest request: start afresh, as Kafka's client does.
    if (i >= 0) this.close(`${w.what} timed out`);
  }

  private onData(chunk: Buffer): void {
    if (this.closedReason !== undefined) return;
    try {
      this.reader.push(chunk, (message) => this.onMessage(message));
    } catch (err) {
      this.close(`protocol error: ${isTributaryError(err) ? err.message.replace('socket.request.max.bytes', 'the largest answer accepted') : String(err)}`);
    }
  }

  private onMessage(message: Uint8Array): void {
    if (this.closedReason !== undefined) return;
    const head = this.inFlight[0];
    if (message.length < 4) return this.close(`protocol error: an answer of ${message.length} bytes has no correlation id`);
    const correlationId = new DataView(message.buffer, message.byteOffset, message.byteLength).getInt32(0);
    if (head === undefined) return this.close(`protocol error: an answer (correlation id ${correlationId}) with no request in flight`);
    if (correlationId !== head.correlationId) return this.close(`protocol error: correlation id ${correlationId} does not match the oldest request in flight (${head.correlationId}, ${head.what})`);
    this.inFlight.shift();
    clearTimeout(head.timer);
    let value: unknown;
    try {
      value = head.decode!(message);
    } catch (err) {
      head.reject(isTributaryError(err) ? new TributaryError(err.code, `${this.label}: ${head.what}: ${err.message}`, { cause: err }) : err);
      // The frame was read whole, but a broker that sends what we cannot read is not trusted further.
      return this.close(`protocol error: ${head.what} answer could not be read`);
    }
    head.resolve(value);
    this.pump();
  }
}

/**
 * Reads an ApiVersions answer. KIP-511 says a broker that does not know the version asked
 * answers UNSUPPORTED_VERSION in v0 with its own ranges; not every broker manages that
 * body (librdkafka 2.0.2's mock cluster answers a v3 request with a body that is neither v0
 * nor v3: `test/remote/fixtures/rdkafka-mock-apiversions-v3.hex`). An answer whose error
 * code reads UNSUPPORTED_VERSION but whose body does not is taken as "no ranges given", and
 * the client falls back to v0, as Java's client does when the answer names no ApiVersions range.
 */
function decodeApiVersions(version: number, message: Uint8Array): ApiVersionsResponse {
  try {
    return decodeResponse(ApiKey.ApiVersions, version, message).response;
  } catch (err) {
    if (message.length >= 6 && new DataView(message.buffer, message.byteOffset, message.byteLength).getInt16(4) === 35) {
      return { apiKey: ApiKey.ApiVersions, errorCode: 'UNSUPPORTED_VERSION', apiKeys: [], throttleTimeMs: 0 };
    }
    throw err;
  }
}

function openSocket(o: BrokerConnectionOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = o.tls === undefined ? netConnect({ host: o.host, port: o.port }) : tlsConnect({ servername: isIp(o.host) ? undefined : o.host, ...o.tls, host: o.host, port: o.port });
    const event = o.tls === undefined ? 'connect' : 'secureConnect';
    const timer = setTimeout(() => fail(new Error(`no connection within ${o.connectionSetupTimeoutMs} ms`)), o.connectionSetupTimeoutMs);
    const onAbort = (): void => fail(new Error('the client closed'));
    const fail = (err: Error): void => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      // A certificate that does not verify will not verify on the next try either: fatal, as
      // Kafka's SslAuthenticationException is, so the caller hears why at once instead of
      // retrying until its timeout.
      if (o.tls !== undefined && isCertificateError(err)) reject(new TributaryError('SSL_AUTHENTICATION_FAILED', `broker ${o.host}:${o.port}: TLS: ${err.message}`, { cause: err }));
      else reject(new TributaryError('NETWORK_EXCEPTION', `broker ${o.host}:${o.port}: cannot connect: ${err.message}`, { cause: err }));
    };
    socket.once('error', fail);
    if (o.signal?.aborted) return fail(new Error('the client closed'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(event, () => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** Whether a TLS connection failed because a certificate did not verify (Node's and OpenSSL's codes). */
function isCertificateError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_TLSV1_ALERT/.test(code);
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * How long a request may wait for its answer. A Fetch long-polls for up to its `maxWaitMs`
 * and a JoinGroup waits for the whole rebalance, so they get that on top, as Kafka's
 * clients do (`rebalance.timeout.ms` + 5 s for JoinGroup).
 */
function timeoutFor(request: Request, requestTimeoutMs: number): number {
  // At most 2^31 - 1 ms, the longest a Node timer waits: a longer one fires after 1 ms, so
  // requestTimeoutMs 2^31 - 1 (which connect() accepts) plus a Fetch's wait timed it out at once.
  if (request.apiKey === ApiKey.Fetch) return Math.min(requestTimeoutMs + Math.max(0, request.maxWaitMs), durationMsMax);
  if (request.apiKey === ApiKey.JoinGroup) return Math.min(Math.max(requestTimeoutMs, request.rebalanceTimeoutMs + 5000), durationMsMax);
  return Math.min(requestTimeoutMs, durationMsMax);
}

/**
 * A few requests say, at old versions, less than the in-process request holds, where the
 * broker's behaviour is the same as if it were said: a Metadata request below v4 cannot
 * refuse topic auto-creation (the broker's `auto.create.topics.enable` decides, as it
 * always did for such clients; librdkafka sends the same).
 */
function adaptForVersion<R extends Request>(request: R, apiVersion: number): R {
  if (request.apiKey === ApiKey.Metadata && apiVersion < 4 && request.allowAutoTopicCreation === false) {
    return { ...request, allowAutoTopicCreation: true };
  }
  return request;
}

/** What an acks=0 Produce resolves with: every partition accepted, offsets unknown. */
function unanswered(request: ProduceRequest): ProduceResponse {
  return {
    apiKey: ApiKey.Produce,
    responses: request.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 'NONE' as const, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 })),
    })),
    throttleTimeMs: 0,
  };
}

export type { Response };
