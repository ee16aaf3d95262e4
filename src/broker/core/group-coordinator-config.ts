/**
 * The group coordinator's settings (Kafka's `GroupCoordinatorConfig`), with Kafka's config
 * names and defaults except where said. Pure data.
 */
export interface GroupCoordinatorConfig {
  /** `group.min.session.timeout.ms`. Default 6000. */
  readonly groupMinSessionTimeoutMs: number;
  /** `group.max.session.timeout.ms`. Default 1800000 (30 minutes). */
  readonly groupMaxSessionTimeoutMs: number;
  /** `group.initial.rebalance.delay.ms`: how long the first rebalance of an Empty group waits for more members. Default 0 (Kafka's is 3000). */
  readonly groupInitialRebalanceDelayMs: number;
  /** `group.max.size`. Default Kafka's, 2^31 - 1. */
  readonly groupMaxSize: number;
  /** `offsets.retention.minutes`, in ms: offsets of an Empty group expire this long after it became Empty. Default 7 days. */
  readonly offsetsRetentionMs: number;
  /** `offsets.retention.check.interval.ms`. Default 600000. */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** `offset.metadata.max.bytes`: the longest commit metadata, in characters as Kafka counts. Default 4096. */
  readonly offsetMetadataMaxBytes: number;
  /** Kafka's `NewMemberJoinTimeoutMs`: a new member's parked JoinGroup expires after this long. Default 300000. */
  readonly newMemberJoinTimeoutMs: number;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 0,
  groupMaxSize: 0x7fffffff,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300_000,
};
