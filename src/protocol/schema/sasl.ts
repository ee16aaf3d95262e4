/**
 * SaslHandshake (17) and SaslAuthenticate (36), which a listener answers itself before a
 * connection is authenticated.
 *
 * Transcribed from apache/kafka `clients/src/main/resources/common/message/<Name>Request.json`
 * and `<Name>Response.json` (commit 1eb7644), restricted to the versions Tributary speaks; see
 * `spec.ts` for the conventions.
 * @internal
 */
import type { MessageSpec } from './spec.js';

export const SaslHandshakeRequest = {
  apiKey: 17,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [
    { name: 'mechanism', type: 'string', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const SaslHandshakeResponse = {
  apiKey: 17,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'mechanisms', type: '[]string', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const SaslAuthenticateRequest = {
  apiKey: 36,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'authBytes', type: 'bytes', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const SaslAuthenticateResponse = {
  apiKey: 36,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+', map: 'error' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'authBytes', type: 'bytes', versions: '0+' },
    { name: 'sessionLifetimeMs', type: 'int64', versions: '1+', default: 0, ignorable: true },
  ],
} as const satisfies MessageSpec;

