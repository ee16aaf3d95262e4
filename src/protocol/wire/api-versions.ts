/**
 * ApiVersions (18), v0 to v3 (`ApiVersionsRequest.json`, `ApiVersionsResponse.json`):
 *
 * ```
 * request v0-v2   (empty)
 * request v3      clientSoftwareName compact string, clientSoftwareVersion compact string, tags
 * response        errorCode int16, [apiKey int16, minVersion int16, maxVersion int16 (tags v3)],
 *                 throttleTimeMs int32 (v1+), tags (v3: 0 supportedFeatures, 1 finalizedFeaturesEpoch,
 *                 2 finalizedFeatures, 3 zkMigrationReady)
 * ```
 *
 * KIP-511: a broker that gets a version it does not know answers in v0 with
 * UNSUPPORTED_VERSION and its own ranges, so a client reading a response whose error code is
 * UNSUPPORTED_VERSION reads it as v0 whatever version it asked for (`decodeResponse` in
 * `codec.ts` does that).
 */
import { ApiKey } from '../api-keys.js';
import type { ApiVersionsRequest, ApiVersionsResponse, ApiVersion, FinalizedFeatureKey, SupportedFeatureKey } from '../cluster.js';
import { errorFromWire, errorToWire, type ApiCodec } from './api-codec.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

const flexibleFrom = 3;

export const apiVersionsCodec: ApiCodec<typeof ApiKey.ApiVersions> = {
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 3,

  encodeRequest(w: WireWriter, request: ApiVersionsRequest, version: number): void {
    if (version < flexibleFrom) return;
    w.string(true, request.clientSoftwareName ?? '').string(true, request.clientSoftwareVersion ?? '').taggedFields();
  },

  decodeRequest(r: WireReader, version: number): ApiVersionsRequest {
    if (version < flexibleFrom) return { apiKey: ApiKey.ApiVersions };
    const clientSoftwareName = r.string(true);
    const clientSoftwareVersion = r.string(true);
    r.taggedFields();
    return { apiKey: ApiKey.ApiVersions, clientSoftwareName, clientSoftwareVersion };
  },

  encodeResponse(w: WireWriter, response: ApiVersionsResponse, version: number): void {
    const flexible = version >= flexibleFrom;
    w.int16(errorToWire(response.errorCode));
    w.array(flexible, response.apiKeys, (w, k) => {
      w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion).tags(flexible);
    });
    if (version >= 1) w.int32(response.throttleTimeMs ?? 0);
    if (!flexible) return;
    const { supportedFeatures, finalizedFeaturesEpoch, finalizedFeatures } = response;
    w.taggedFields([
      supportedFeatures === undefined || supportedFeatures.length === 0
        ? undefined
        : [0, (w) => w.array(true, supportedFeatures, (w, f) => w.string(true, f.name).int16(f.minVersion).int16(f.maxVersion).taggedFields())],
      finalizedFeaturesEpoch === undefined || finalizedFeaturesEpoch === -1 ? undefined : [1, (w) => w.int64(finalizedFeaturesEpoch)],
      finalizedFeatures === undefined || finalizedFeatures.length === 0
        ? undefined
        : [2, (w) => w.array(true, finalizedFeatures, (w, f) => w.string(true, f.name).int16(f.maxVersionLevel).int16(f.minVersionLevel).taggedFields())],
    ]);
  },

  decodeResponse(r: WireReader, version: number): ApiVersionsResponse {
    const flexible = version >= flexibleFrom;
    const errorCode = errorFromWire(r.int16());
    const apiKeys = r.array(flexible, (r): ApiVersion => {
      const apiKey = r.int16();
      const minVersion = r.int16();
      const maxVersion = r.int16();
      r.tags(flexible);
      return { apiKey, minVersion, maxVersion };
    });
    const throttleTimeMs = version >= 1 ? r.int32() : 0;
    let supportedFeatures: SupportedFeatureKey[] = [];
    let finalizedFeaturesEpoch = -1;
    let finalizedFeatures: FinalizedFeatureKey[] = [];
    r.tags(flexible, (tag, r) => {
      if (tag === 0) {
        supportedFeatures = r.array(true, (r) => {
          const f = { name: r.string(true), minVersion: r.int16(), maxVersion: r.int16() };
          r.taggedFields();
          return f;
        });
      } else if (tag === 1) {
        finalizedFeaturesEpoch = r.int64();
      } else if (tag === 2) {
        finalizedFeatures = r.array(true, (r) => {
          const f = { name: r.string(true), maxVersionLevel: r.int16(), minVersionLevel: r.int16() };
          r.taggedFields();
          return f;
        });
      } else if (tag === 3) {
        r.bool(); // zkMigrationReady: meaningless without ZooKeeper.
      }
    });
    return { apiKey: ApiKey.ApiVersions, errorCode, apiKeys, throttleTimeMs, supportedFeatures, finalizedFeaturesEpoch, finalizedFeatures };
  },
};
