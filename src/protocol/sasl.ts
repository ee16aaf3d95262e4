/**
 * SaslHandshake (17) and SaslAuthenticate (36), shaped after Kafka's
 * `SaslHandshakeRequest.json`, `SaslAuthenticateRequest.json` and their responses. They
 * exist only on the Kafka wire: a listener configured for SASL answers them itself, before
 * the connection may send anything else; an in-process broker does not serve them.
 */
import type { ApiKey } from './api-keys.js';
import type { ErrorCode } from './common.js';

// ---- SaslHandshake (17) ----

export interface SaslHandshakeRequest {
  readonly apiKey: typeof ApiKey.SaslHandshake;
  /** The SASL mechanism the client wants, such as `PLAIN` or `SCRAM-SHA-256`. */
  readonly mechanism: string;
}

export interface SaslHandshakeResponse {
  readonly apiKey: typeof ApiKey.SaslHandshake;
  /** UNSUPPORTED_SASL_MECHANISM when the listener does not offer `mechanism`. */
  readonly errorCode: ErrorCode;
  /** The mechanisms the listener offers. */
  readonly mechanisms: readonly string[];
}

// ---- SaslAuthenticate (36) ----

export interface SaslAuthenticateRequest {
  readonly apiKey: typeof ApiKey.SaslAuthenticate;
  /** The mechanism's next client message (PLAIN: `authzid NUL authcid NUL password`). */
  readonly authBytes: Uint8Array;
}

export interface SaslAuthenticateResponse {
  readonly apiKey: typeof ApiKey.SaslAuthenticate;
  /** SASL_AUTHENTICATION_FAILED when the credentials are wrong. */
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  /** The mechanism's next server message (SCRAM's server-first and server-final). */
  readonly authBytes: Uint8Array;
  /** How long the session may last before the client re-authenticates (v1+, KIP-368); 0 for no limit. */
  readonly sessionLifetimeMs?: number;
}
