/**
 * The versions the wire codec serves and the versions an ApiVersions response advertises.
 *
 * They differ for one API. librdkafka below 2.11.1 compresses a batch only when Produce v0
 * is inside the broker's range (librdkafka#4956), so Produce is advertised from v0, as
 * Kafka 4.0 does (KAFKA-18659, apache/kafka#18727: "advertise, but disable support for it
 * everywhere else"); v0-v2 predate the v2 record batch, so `decodeRequest` refuses them with
 * UNSUPPORTED_VERSION (the descriptions still cover them, so a response can be encoded
 * should a listener want to answer one). Clients pick the highest version both sides support, so only a client too old for record
 * batch v2 ever sends one.
 *
 * Every other range is the description's `validVersions`, chosen in
 * `../shared/reference/wire.md` section 0 so that KafkaJS 2.2, librdkafka 2.0 to 2.15,
 * franz-go and @platformatic/kafka all negotiate a version they implement: floors no higher
 * than each old client's single-version feature checks (JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup from v0, SaslHandshake v0, SaslAuthenticate v0), and ceilings where the next
 * version changes a shape the in-process types do not have (Fetch v13 names topics by id).
 * @internal
 */
import { ApiKey } from '../api-keys.js';
import { apiSpecs } from '../schema/index.js';
import { versionBounds } from '../schema/spec.js';

/** One API and a version range, as an ApiVersions response lists it. */
export interface WireApiVersion {
  readonly apiKey: ApiKey;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** The lowest version served where it is above the lowest advertised. */
const servedFloor: { readonly [key: number]: number } = {
  [ApiKey.Produce]: 3,
};

/** What an ApiVersions response answers: every API with a description, at its advertised range. */
export const advertisedApiVersions: readonly WireApiVersion[] = Object.values(apiSpecs).map((s) => {
  const [minVersion, maxVersion] = versionBounds(s.request.validVersions)!;
  return { apiKey: s.request.apiKey as ApiKey, minVersion, maxVersion };
});

/** The versions the codec encodes and decodes for real work (Produce from v3). */
export const servedApiVersions: readonly WireApiVersion[] = advertisedApiVersions.map((a) => ({
  ...a,
  minVersion: Math.max(a.minVersion, servedFloor[a.apiKey] ?? a.minVersion),
}));

const served = new Map(servedApiVersions.map((a) => [a.apiKey as number, a]));
const advertised = new Map(advertisedApiVersions.map((a) => [a.apiKey as number, a]));

/** Whether the codec serves `version` of `apiKey`. */
export function isServed(apiKey: number, version: number): boolean {
  const a = served.get(apiKey);
  return a !== undefined && Number.isInteger(version) && version >= a.minVersion && version <= a.maxVersion;
}

/** Whether `version` of `apiKey` is advertised (and so can be decoded, if not served). */
export function isAdvertised(apiKey: number, version: number): boolean {
  const a = advertised.get(apiKey);
  return a !== undefined && Number.isInteger(version) && version >= a.minVersion && version <= a.maxVersion;
}
