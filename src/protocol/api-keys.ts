/**
 * Kafka's API keys and the version range Tributary supports for each.
 *
 * ## How the ranges were chosen
 *
 * Two clients matter most: KafkaJS 2.2 and librdkafka 2.x (kcat, confluent-kafka-*).
 * - KafkaJS picks `min(its max, broker max)` and ignores the broker's minimum, and it never
 *   uses a flexible version (KIP-482). So every range must reach down to KafkaJS's maximum.
 * - librdkafka picks the highest version both sides support, and it uses flexible versions.
 *   So a range should reach up to the first flexible version (and further where a later
 *   version adds a field Tributary has: Fetch v12 brings `divergingEpoch` and
 *   `lastFetchedEpoch`, KIP-595's truncation without OffsetForLeaderEpoch).
 * - The floor is Kafka 4.0's (KIP-896 removed Produce v0-2, Fetch v0-3, ListOffsets v0,
 *   OffsetCommit v0-1, OffsetFetch v0, and every version older than the v2 record batch
 *   format, which is the only one Tributary stores), except where an old librdkafka's
 *   feature checks need a version inside the range (JoinGroup, SyncGroup, Heartbeat,
 *   LeaveGroup from v0; Produce is advertised from v0 but served from v3, see
 *   `wire/versions.ts`).
 *
 * Where a later version changes the shape of a request rather than adding a field, the range
 * stops before it, and the in-process types keep the older shape:
 * - Fetch stops at v12: v13 names topics by id instead of name.
 * - OffsetCommit stops at v8 and OffsetFetch at v8: v9 is KIP-848's consumer protocol.
 *   OffsetFetch v8 batches groups; the wire adapter turns a batch of one into the one-group
 *   shape, and keeps any other batch in `groups` (answered group by group).
 * - Produce stops at v9: v10 and v11 add only KIP-951's leader-discovery tagged fields.
 *
 * Worked example: for Metadata, KafkaJS (max v6) negotiates v6 and librdkafka 2.x (max
 * v12 or v13) negotiates v12; both are in [0, 12], and v9..v12 are flexible.
 *
 * These are the ranges the wire codec serves; the descriptions in `schema/` hold the same
 * ranges as their `validVersions` (a test checks they agree), and `wire/versions.ts` says
 * what an ApiVersions response advertises.
 */

/** Kafka's number for each API (`org.apache.kafka.common.protocol.ApiKeys`). */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  DescribeLogDirs: 35,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  AlterPartitionReassignments: 45,
  ListPartitionReassignments: 46,
  OffsetDelete: 47,
  IncrementalAlterConfigs: 44,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
} as const;

/** The number of one of the APIs Tributary speaks, such as `ApiKey.Fetch` (1). */
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];

/** The name of one of the APIs Tributary speaks, such as `'Fetch'`. */
export type ApiName = keyof typeof ApiKey;

/** The versions of one API: the range Tributary supports and where flexible encoding starts. */
export interface ApiVersionRange {
  readonly apiKey: ApiKey;
  readonly name: ApiName;
  /** The lowest version supported, inclusive. */
  readonly minVersion: number;
  /** The highest version supported, inclusive. */
  readonly maxVersion: number;
  /**
   * The first flexible version of this API in Kafka (KIP-482: compact strings, arrays and
   * bytes, tagged fields, request header v2, response header v1). May exceed `maxVersion`.
   */
  readonly flexibleFrom: number;
}

function range(name: ApiName, minVersion: number, maxVersion: number, flexibleFrom: number): ApiVersionRange {
  return { apiKey: ApiKey[name], name, minVersion, maxVersion, flexibleFrom };
}

/**
 * The versions Tributary supports, by API key. The comments give each client's maximum,
 * KafkaJS 2.2 (from its `src/protocol/requests/<api>/v*` folders) / librdkafka 2.x (from
 * the reference notes; `?` where not checked).
 */
export const apiVersions: { readonly [K in ApiKey]: ApiVersionRange } = {
  [ApiKey.Produce]: range('Produce', 3, 9, 9), // 7 / 10
  [ApiKey.Fetch]: range('Fetch', 4, 12, 12), // 11 / 16
  [ApiKey.ListOffsets]: range('ListOffsets', 1, 7, 6), // 3 / 7
  [ApiKey.Metadata]: range('Metadata', 0, 12, 9), // 6 / 13
  [ApiKey.OffsetCommit]: range('OffsetCommit', 2, 8, 8), // 5 / 9
  [ApiKey.OffsetFetch]: range('OffsetFetch', 1, 8, 6), // 4 / 9
  [ApiKey.FindCoordinator]: range('FindCoordinator', 0, 4, 3), // 2 / 2
  [ApiKey.JoinGroup]: range('JoinGroup', 0, 7, 6), // 5 / 5
  [ApiKey.Heartbeat]: range('Heartbeat', 0, 4, 4), // 3 / 3
  [ApiKey.LeaveGroup]: range('LeaveGroup', 0, 5, 4), // 3 / 1
  [ApiKey.SyncGroup]: range('SyncGroup', 0, 5, 4), // 3 / 3
  [ApiKey.DescribeGroups]: range('DescribeGroups', 0, 5, 5), // 2 / ?
  [ApiKey.ListGroups]: range('ListGroups', 0, 4, 3), // 2 / ?
  [ApiKey.SaslHandshake]: range('SaslHandshake', 0, 1, 2), // 1 / 1 (never flexible)
  [ApiKey.ApiVersions]: range('ApiVersions', 0, 4, 3), // 2 / 3
  [ApiKey.CreateTopics]: range('CreateTopics', 2, 7, 5), // 3 / 4
  [ApiKey.DeleteTopics]: range('DeleteTopics', 1, 6, 4), // 1 / ?
  [ApiKey.DeleteRecords]: range('DeleteRecords', 0, 2, 2), // 1 / ?
  [ApiKey.InitProducerId]: range('InitProducerId', 0, 4, 2), // 1 / 4
  [ApiKey.OffsetForLeaderEpoch]: range('OffsetForLeaderEpoch', 2, 4, 4), // none / 2
  // The ACL APIs from Kafka 4.0's floor (v1, KIP-896): KafkaJS and librdkafka 2.x send v1.
  [ApiKey.DescribeAcls]: range('DescribeAcls', 1, 3, 2), // 1 / 1
  [ApiKey.CreateAcls]: range('CreateAcls', 1, 3, 2), // 1 / 1
  [ApiKey.DeleteAcls]: range('DeleteAcls', 1, 3, 2), // 1 / 1
  [ApiKey.DescribeConfigs]: range('DescribeConfigs', 1, 4, 4), // 2 / ?
  [ApiKey.AlterConfigs]: range('AlterConfigs', 0, 2, 2), // 1 / 1 (KafkaJS admin.alterConfigs, confluent-kafka-python alter_configs)
  [ApiKey.DescribeLogDirs]: range('DescribeLogDirs', 1, 4, 2), // none / none (a raw-request test: no client here asks it)
  [ApiKey.SaslAuthenticate]: range('SaslAuthenticate', 0, 2, 2), // 1 / 0-1
  [ApiKey.CreatePartitions]: range('CreatePartitions', 0, 3, 2), // 1 / ?
  [ApiKey.DeleteGroups]: range('DeleteGroups', 0, 2, 2), // 1 / ?
  // v1 of AlterPartitionReassignments (KIP-860) only adds allowReplicationFactorChange.
  [ApiKey.AlterPartitionReassignments]: range('AlterPartitionReassignments', 0, 0, 0), // 0 / 0
  [ApiKey.ListPartitionReassignments]: range('ListPartitionReassignments', 0, 0, 0), // 0 / 0
  [ApiKey.OffsetDelete]: range('OffsetDelete', 0, 0, 1), // none / 0 (never flexible; librdkafka DeleteConsumerGroupOffsets)
  [ApiKey.IncrementalAlterConfigs]: range('IncrementalAlterConfigs', 0, 1, 1), // none / ?
  [ApiKey.DescribeCluster]: range('DescribeCluster', 0, 1, 0), // none / ?
  // KIP-664's transaction admin APIs: no client here asks them (Kafka's Java admin and franz-go do).
  [ApiKey.DescribeProducers]: range('DescribeProducers', 0, 0, 0), // none / none
  [ApiKey.DescribeTransactions]: range('DescribeTransactions', 0, 0, 0), // none / none
  [ApiKey.ListTransactions]: range('ListTransactions', 0, 1, 0), // none / none
};

const byNumber = new Map<number, ApiVersionRange>(Object.values(apiVersions).map((r) => [r.apiKey, r]));

/** Whether `value` is the number of an API Tributary speaks. */
export function isApiKey(value: unknown): value is ApiKey {
  return typeof value === 'number' && byNumber.has(value);
}

/** The name of an API key, for messages: `apiName(1)` is `'Fetch'`. Unknown numbers print as `'ApiKey(n)'`. */
export function apiName(apiKey: number): string {
  return byNumber.get(apiKey)?.name ?? `ApiKey(${apiKey})`;
}

/** Whether `apiVersion` of `apiKey` uses the flexible encoding (KIP-482). */
export function isFlexibleVersion(apiKey: ApiKey, apiVersion: number): boolean {
  return apiVersion >= apiVersions[apiKey].flexibleFrom;
}

/** Whether Tributary supports `apiVersion` of `apiKey`. */
export function isSupportedVersion(apiKey: ApiKey, apiVersion: number): boolean {
  const r = apiVersions[apiKey];
  return Number.isInteger(apiVersion) && apiVersion >= r.minVersion && apiVersion <= r.maxVersion;
}
