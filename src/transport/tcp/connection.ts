/**
 * One client connection of a listener: Kafka's `Processor` and `KafkaChannel` for one
 * socket. It cuts the stream into requests (`FrameReader`), authenticates the client when
 * the listener asks for SASL, decodes each request, hands it to the node's broker with a
 * `RequestContext`, and writes the answers back **in the order the requests came**, as
 * Kafka does.
 *
 * Pipelining: requests are decoded and handed over as they arrive (a client with five
 * Produce requests in flight gets them appended in order), while the answers wait in a
 * queue of slots until every earlier answer is written. The queue is bounded
 * (`queuedMaxRequests`): once that many requests are unanswered, the socket stops being
 * read (TCP then pushes back on the client) until an answer goes out. The socket is also
 * not read while the client does not read its answers (the socket's write buffer is full).
 *
 * What closes a connection, as in Kafka: a size outside [0, `socket.request.max.bytes`],
 * an unknown API key, a version the codec does not serve (except ApiVersions, answered
 * in v0 per KIP-511), bytes that do not decode, a request the broker refuses whole whose
 * API has no error answer in `protocol/error-response.ts` (those that have one get it), a request before SASL authentication
 * completes, a failed authentication, and `connections.max.idle.ms` without traffic.
 * Earlier requests on the connection are answered first.
 * @internal
 */
import type { Socket } from 'node:net';
import type { RequestContext, ListenerName } from '../../broker/request-context.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ApiVersion } from '../../protocol/cluster.js';
import type { ProduceResponse } from '../../protocol/produce.js';
import type { Request, Response, ResponseFor } from '../../protocol/requests.js';
import * as codec from '../../protocol/wire/codec.js';
import { errorResponse } from '../../protocol/error-response.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { isTributaryError, TributaryError } from '../../util/errors.js';
import { FrameReader } from './frame-reader.js';
import { SaslSession, type SaslMechanism, type SaslUsers } from './sasl.js';
import { encodeRawToken, peekHeader } from './raw-frames.js';
import { refuseTransactions } from './unsupported.js';

/** What a listener hands requests to: the node's broker. */
export interface ContextHandler {
  handle<R extends Request>(request: R, context?: RequestContext): Promise<ResponseFor<R>>;
}

/** The settings a connection needs from its listener. */
export interface ConnectionSettings {
  readonly listenerName: ListenerName;
  readonly socketRequestMaxBytes: number;
  readonly connectionsMaxIdleMs: number;
  readonly queuedMaxRequests: number;
  /** `connections.max.reauth.ms`: a SASL session's lifetime (KIP-368); 0 for none. */
  readonly connectionsMaxReauthMs: number;
  /** The SASL users, when the listener requires authentication. */
  readonly sasl: SaslUsers | undefined;
  /** The APIs and versions advertised in ApiVersions responses. */
  readonly apiVersions: () => readonly ApiVersion[];
  /** The node's broker, or undefined while the node is not serving (the connection is then closed). */
  readonly handler: () => ContextHandler | undefined;
  readonly log: ((line: string) => void) | undefined;
}

/** One answer, in request order: the frames to write (none for acks=0), or a close. */
interface Slot {
  ready: boolean;
  frames: readonly Uint8Array[];
  close: string | undefined;
}

type AuthState = 'handshake' | 'authenticate' | 'raw' | 'done';

export class Connection {
  private readonly reader: FrameReader;
  private readonly slots: Slot[] = [];
  /** Requests cut from the stream and not yet taken (the queue was full when they arrived). */
  private readonly inbox: Uint8Array[] = [];
  private taking = false;
  private paused = false;
  private closed = false;
  private auth: AuthState;
  private session: SaslSession | undefined;
  private principal: string | null = null;
  /** When the SASL session ends (monotonic ms; KIP-368), or undefined for never. */
  private sessionEndsAtMs: number | undefined;
  /** A SaslHandshake came after authentication: the client re-authenticates (KIP-368). */
  private reauthenticating = false;
  private readonly clientHost: string;
  /** Aborted when this connection closes: its requests' handlers stop waiting (`RequestContext.signal`). */
  private readonly gone = new AbortController();

  constructor(
    private readonly socket: Socket,
    private readonly settings: ConnectionSettings,
    private readonly onClose: () => void,
  ) {
    this.reader = new FrameReader(settings.socketRequestMaxBytes);
    this.auth = settings.sasl === undefined ? 'done' : 'handshake';
    this.clientHost = `/${socket.remoteAddress ?? 'unknown'}`;
    socket.setNoDelay(true);
    socket.setTimeout(settings.connectionsMaxIdleMs);
    socket.on('timeout', () => {
      // Idle only when nothing is in flight: a long-polled Fetch is not idleness.
      if (this.slots.length === 0) this.close(`idle for ${settings.connectionsMaxIdleMs} ms (connections.max.idle.ms)`);
      else socket.setTimeout(settings.connectionsMaxIdleMs);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.take());
    socket.on('error', () => this.close(undefined));
    socket.on('close', () => this.close(undefined));
  }

  /** Closes the connection at once (its listener is closing, or the node stopped). */
  destroy(): void {
    this.close(undefined);
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.closeReason !== undefined) return;
    try {
      this.reader.push(chunk, (message) => this.inbox.push(message));
    } catch (err) {
      // A size out of range: the requests before it are still answered, then the connection closes.
      this.inbox.push(new Uint8Array(0));
      this.closeReason = isTributaryError(err) ? err.message : String(err);
    }
    this.take();
  }

  private closeReason: string | undefined;

  /**
   * Takes requests from the inbox while the queue of unanswered ones has room and the
   * client reads its answers. Why the second condition: one socket chunk of 64 KiB holds
   * some 750 small Fetch requests; taking them all while the client reads nothing had every
   * answer encoded and buffered (750 answers of 1 MiB: 800 MiB held for one connection).
   * Once the write buffer is full, the rest wait in the inbox until 'drain'.
   */
  private take(): void {
    if (this.taking) return;
    this.taking = true;
    try {
      while (!this.closed && this.inbox.length > 0 && this.slots.length < this.settings.queuedMaxRequests && !this.socket.writableNeedDrain) {
        const message = this.inbox.shift()!;
        if (message.length === 0 && this.closeReason !== undefined) this.enqueueClose(this.closeReason);
        else this.onMessage(message);
      }
    } finally {
      this.taking = false;
    }
    this.updateFlow();
  }

  private onMessage(message: Uint8Array): void {
    if (this.closed) return;
    if (this.auth === 'raw') return this.rawToken(message);
    let header;
    try {
      header = peekHeader(message);
    } catch (err) {
      return this.enqueueClose(isTributaryError(err) ? err.message : String(err));
    }
    if (header.apiKey === ApiKey.SaslHandshake) return this.handshake(message);
    if (header.apiKey === ApiKey.SaslAuthenticate) return this.authenticate(message);
    if (header.apiKey !== ApiKey.ApiVersions && this.auth !== 'done') {
      // Kafka's SaslServerAuthenticator: anything else before authentication is an illegal SASL state, and the connection closes.
      return this.enqueueClose(`${apiLabel(header.apiKey)} before SASL authentication completed`);
    }
    if (this.sessionEndsAtMs !== undefined && performance.now() >= this.sessionEndsAtMs) {
      // KIP-368: the client did not authenticate again within its session (connections.max.reauth.ms).
      return this.enqueueClose(`${apiLabel(header.apiKey)} after the SASL session expired (connections.max.reauth.ms ${this.settings.connectionsMaxReauthMs})`);
    }
    let decoded: codec.DecodedRequest;
    try {
      decoded = codec.decodeRequest(message);
    } catch (err) {
      return this.enqueueClose(isTributaryError(err) ? err.message : String(err));
    }
    const { request } = decoded;
    const respond = { apiVersion: decoded.header.apiVersion, correlationId: decoded.header.correlationId };
    if (request.apiKey === ApiKey.ApiVersions) {
      const apiKeys = this.settings.apiVersions();
      if (!decoded.versionSupported) return this.enqueueFrames([codec.encodeResponse({ apiKey: ApiKey.ApiVersions, errorCode: 'UNSUPPORTED_VERSION', apiKeys, throttleTimeMs: 0 }, { apiVersion: 0, correlationId: respond.correlationId })]);
      return this.enqueueFrames([codec.encodeResponse({ apiKey: ApiKey.ApiVersions, errorCode: 'NONE', apiKeys, throttleTimeMs: 0 }, respond)]);
    }
    const refusal = refuseTransactions(request);
    if (refusal !== undefined) return this.enqueueFrames([codec.encodeResponse(refusal, respond)]);
    const handler = this.settings.handler();
    if (handler === undefined) return this.enqueueClose('the node is not serving');
    const context: RequestContext = { listenerName: this.settings.listenerName, clientId: decoded.header.clientId ?? '', clientHost: this.clientHost, principal: this.principal, signal: this.gone.signal, apiVersion: decoded.header.apiVersion };
    const noResponse = request.apiKey === ApiKey.Produce && request.acks === 0;
    const slot: Slot = { ready: false, frames: [], close: undefined };
    this.slots.push(slot);
    this.updateFlow();
    handler.handle(request, context).then(
      (response) => {
        if (!noResponse) slot.frames = encodeFrames(response as Response, { ...respond, request });
        else {
          // acks=0 gets no answer; an error closes the connection instead, as Kafka's
          // KafkaApis does, so the producer refreshes its metadata and reconnects.
          const failed = (response as ProduceResponse).responses.flatMap((t) => t.partitionResponses.filter((p) => p.errorCode !== 'NONE').map((p) => `${t.name}-${p.index} ${p.errorCode}`));
          if (failed.length > 0) slot.close = `Produce with acks=0 failed: ${failed.slice(0, 5).join(', ')}`;
        }
      },
      (err: unknown) => {
        // The broker refused the request outright (it failed validation, or the node is
        // stopping). As Kafka's getErrorResponse: the API's answer with the error's code in
        // every error field, where the API has one; otherwise (and for a stopping node, and
        // for acks=0, which has no answer) the connection closes, as Kafka's does.
        const answer = isTributaryError(err) && err.code !== 'NETWORK_EXCEPTION' && !noResponse ? errorResponse(request, err.code, err.message) : undefined;
        if (answer !== undefined) slot.frames = encodeFrames(answer, { ...respond, request });
        else slot.close = `${apiLabel(request.apiKey)}: ${isTributaryError(err) ? err.message : String(err)}`;
      },
    ).catch((err: unknown) => {
      slot.close = `${apiLabel(request.apiKey)} response: ${String(err)}`;
    }).finally(() => {
      slot.ready = true;
      this.flush();
    });
  }

  // ------------------------------------------------------------------ SASL

  /** Decodes a SASL request with the codec; a malformed one closes the connection. */
  private decodeSasl(message: Uint8Array): codec.DecodedRequest | undefined {
    try {
      return codec.decodeRequest(message);
    } catch (err) {
      this.enqueueClose(isTributaryError(err) ? err.message : String(err));
      return undefined;
    }
  }

  private handshake(message: Uint8Array): void {
    const users = this.settings.sasl;
    const decoded = this.decodeSasl(message);
    if (decoded === undefined || decoded.request.apiKey !== ApiKey.SaslHandshake) return;
    const { mechanism } = decoded.request;
    const respond = { apiVersion: decoded.header.apiVersion, correlationId: decoded.header.correlationId };
    const answer = (errorCode: ErrorCode, mechanisms: readonly string[]) => codec.encodeResponse({ apiKey: ApiKey.SaslHandshake, errorCode, mechanisms }, respond);
    // KIP-368: a SaslHandshake v1+ after authentication starts a re-authentication.
    const reauth = users !== undefined && this.auth === 'done' && this.principal !== null && respond.apiVersion >= 1;
    if (users === undefined || (this.auth !== 'handshake' && !reauth)) {
      // A listener without SASL, or a second handshake.
      return this.enqueueFrames([answer('ILLEGAL_SASL_STATE', users?.mechanisms ?? [])], 'SaslHandshake out of place');
    }
    this.reauthenticating = reauth;
    if (!users.mechanisms.includes(mechanism as SaslMechanism)) {
      // With the mechanisms we do offer; Kafka then closes.
      return this.enqueueFrames([answer('UNSUPPORTED_SASL_MECHANISM', users.mechanisms)], `SASL mechanism ${mechanism} is not enabled`);
    }
    this.session = new SaslSession(mechanism as SaslMechanism, users);
    this.auth = respond.apiVersion === 0 ? 'raw' : 'authenticate';
    this.enqueueFrames([answer('NONE', users.mechanisms)]);
  }

  private authenticate(message: Uint8Array): void {
    const decoded = this.decodeSasl(message);
    if (decoded === undefined || decoded.request.apiKey !== ApiKey.SaslAuthenticate) return;
    const respond = { apiVersion: decoded.header.apiVersion, correlationId: decoded.header.correlationId };
    const answer = (errorCode: ErrorCode, errorMessage: string | null, authBytes: Uint8Array, sessionLifetimeMs = 0) =>
      codec.encodeResponse({ apiKey: ApiKey.SaslAuthenticate, errorCode, errorMessage, authBytes, sessionLifetimeMs }, respond);
    if (this.auth !== 'authenticate' || this.session === undefined) {
      return this.enqueueFrames([answer('ILLEGAL_SASL_STATE', 'SaslAuthenticate before a SaslHandshake v1 or after authentication', new Uint8Array(0))], 'SaslAuthenticate out of place');
    }
    try {
      const step = this.session.step(decoded.request.authBytes);
      if (step.user !== undefined && this.reauthenticating && step.user !== this.principal) {
        // Kafka's SaslServerAuthenticator: the principal may not change on re-authentication.
        throw new TributaryError('SASL_AUTHENTICATION_FAILED', `re-authentication as ${step.user} on a connection authenticated as ${this.principal} (the principal cannot change)`);
      }
      if (step.user !== undefined) this.authenticated(step.user);
      this.enqueueFrames([answer('NONE', null, step.token, step.user !== undefined ? this.settings.connectionsMaxReauthMs : 0)]);
    } catch (err) {
      const e = isTributaryError(err) ? err : new TributaryError('SASL_AUTHENTICATION_FAILED', String(err));
      // Kafka answers SASL_AUTHENTICATION_FAILED with its message, then closes the connection.
      this.settings.log?.(`${this.clientHost}: ${e.message}`);
      this.enqueueFrames([answer(e.code, e.message, new Uint8Array(0))], e.message);
    }
  }

  /** A token of a SaslHandshake v0 exchange: a bare frame, answered by a bare frame; a failure closes at once. */
  private rawToken(token: Uint8Array): void {
    try {
      const step = this.session!.step(token);
      if (step.user !== undefined) this.authenticated(step.user);
      else this.auth = 'raw';
      this.enqueueFrames([encodeRawToken(step.token)]);
    } catch (err) {
      this.settings.log?.(`${this.clientHost}: ${isTributaryError(err) ? err.message : String(err)}`);
      this.enqueueClose('SASL authentication failed');
    }
  }

  private authenticated(user: string): void {
    this.auth = 'done';
    this.principal = user;
    this.session = undefined;
    this.reauthenticating = false;
    const lifetimeMs = this.settings.connectionsMaxReauthMs;
    this.sessionEndsAtMs = lifetimeMs > 0 ? performance.now() + lifetimeMs : undefined;
  }

  // ------------------------------------------------------------------ answers in order

  private enqueueFrames(frames: readonly Uint8Array[], closeAfter?: string): void {
    this.slots.push({ ready: true, frames, close: closeAfter });
    this.flush();
  }

  private enqueueClose(why: string): void {
    this.slots.push({ ready: true, frames: [], close: why });
    this.flush();
  }

  /** Writes every answer whose turn has come, in request order. */
  private flush(): void {
    if (this.closed) return;
    let corked = false;
    while (this.slots.length > 0 && this.slots[0]!.ready) {
      const slot = this.slots.shift()!;
      if (slot.frames.length > 0) {
        if (!corked) {
          this.socket.cork();
          corked = true;
        }
        for (const f of slot.frames) this.socket.write(f);
      }
      if (slot.close !== undefined) {
        if (corked) this.socket.uncork();
        this.settings.log?.(`${this.clientHost}: closing the connection: ${slot.close}`);
        this.closed = true;
        this.slots.length = 0;
        this.inbox.length = 0;
        this.socket.end();
        this.socket.destroySoon();
        this.onClose();
        return;
      }
    }
    if (corked) this.socket.uncork();
    this.take();
  }

  /** Stops reading while too many requests wait for answers or the client is not reading its answers. */
  private updateFlow(): void {
    if (this.closed) return;
    const full = this.slots.length >= this.settings.queuedMaxRequests || this.inbox.length > 0 || this.socket.writableNeedDrain;
    if (full && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!full && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private close(why: string | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (why !== undefined) this.settings.log?.(`${this.clientHost}: closing the connection: ${why}`);
    this.slots.length = 0;
    this.inbox.length = 0;
    this.gone.abort();
    this.socket.destroy();
    this.onClose();
  }
}

/**
 * Fetch answers go out as several chunks: the header and fields, then each partition's
 * records exactly as the log returned them, written together with one vectored write, so
 * the batches are never copied into a response buffer or decoded.
 */
function encodeFrames(response: Response, header: codec.ResponseHeaderInput): readonly Uint8Array[] {
  if (response.apiKey === ApiKey.Fetch) return codec.encodeResponseChunks(response, header);
  return [codec.encodeResponse(response, header)];
}

function apiLabel(apiKey: number): string {
  for (const [name, key] of Object.entries(ApiKey)) if (key === apiKey) return name;
  return `API key ${apiKey}`;
}
