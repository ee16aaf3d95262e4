/**
 * Kafka's error codes: one table, the same names and numbers as Kafka's
 * `org.apache.kafka.common.protocol.Errors`, each with its `retriable` flag and message.
 * A `TributaryError` carries one of these names; a response on the wire carries its
 * number. A few conditions that only an embedded log has (a data folder locked by another
 * process, a client used after close) get Tributary codes below -100, which never travel
 * over the Kafka protocol: the wire codec maps them to the Kafka code in `wireCode`.
 *
 * This file is generated from the table in Kafka's `Errors.java`; keep the two in step.
 *
 * @example
 * ```ts
 * import { errorCodes, type ErrorCodeInfo } from 'tributary-log';
 *
 * const info: ErrorCodeInfo = errorCodes.NOT_LEADER_OR_FOLLOWER;
 * console.log(info.code, info.retriable); // 6 true
 * ```
 */
export interface ErrorCodeInfo {
  /** Kafka's numeric error code (or a Tributary-only code below -100). */
  readonly code: number;
  /** Whether the same request may succeed if retried (Kafka's `RetriableException`). */
  readonly retriable: boolean;
  /** Kafka's default message for the error. */
  readonly message: string;
  /** The code sent over the Kafka protocol; equals `code` for Kafka's own errors. */
  readonly wireCode: number;
}

function kafka(code: number, retriable: boolean, message: string): ErrorCodeInfo {
  return { code, retriable, message, wireCode: code };
}

/**
 * Every error code by name, with its number, `retriable` flag, message and wire code.
 *
 * @example
 * ```ts
 * import { errorCodes } from 'tributary-log';
 *
 * console.log(errorCodes.MESSAGE_TOO_LARGE.code); // 10
 * console.log(errorCodes.REQUEST_TIMED_OUT.retriable); // true
 * console.log(errorCodes.CLIENT_CLOSED.wireCode); // -1
 * ```
 */
export const errorCodes = {
  UNKNOWN_SERVER_ERROR: kafka(-1, false, 'The server experienced an unexpected error when processing the request.'),
  NONE: kafka(0, false, 'No error.'),
  OFFSET_OUT_OF_RANGE: kafka(1, false, 'The requested offset is not within the range of offsets maintained by the server.'),
  CORRUPT_MESSAGE: kafka(2, true, 'This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.'),
  UNKNOWN_TOPIC_OR_PARTITION: kafka(3, true, 'This server does not host this topic-partition.'),
  INVALID_FETCH_SIZE: kafka(4, false, 'The requested fetch size is invalid.'),
  LEADER_NOT_AVAILABLE: kafka(5, true, 'There is no leader for this topic-partition as we are in the middle of a leadership election.'),
  NOT_LEADER_OR_FOLLOWER: kafka(6, true, 'For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.'),
  REQUEST_TIMED_OUT: kafka(7, true, 'The request timed out.'),
  BROKER_NOT_AVAILABLE: kafka(8, false, 'The broker is not available.'),
  REPLICA_NOT_AVAILABLE: kafka(9, true, 'The replica is not available for the requested topic-partition.'),
  MESSAGE_TOO_LARGE: kafka(10, false, 'The request included a message larger than the max message size the server will accept.'),
  STALE_CONTROLLER_EPOCH: kafka(11, false, 'The controller moved to another broker.'),
  OFFSET_METADATA_TOO_LARGE: kafka(12, false, 'The metadata field of the offset request was too large.'),
  NETWORK_EXCEPTION: kafka(13, true, 'The server disconnected before a response was received.'),
  COORDINATOR_LOAD_IN_PROGRESS: kafka(14, true, 'The coordinator is loading and hence can\'t process requests.'),
  COORDINATOR_NOT_AVAILABLE: kafka(15, true, 'The coordinator is not available.'),
  NOT_COORDINATOR: kafka(16, true, 'This is not the correct coordinator.'),
  INVALID_TOPIC_EXCEPTION: kafka(17, false, 'The request attempted to perform an operation on an invalid topic.'),
  RECORD_LIST_TOO_LARGE: kafka(18, false, 'The request included message batch larger than the configured segment size on the server.'),
  NOT_ENOUGH_REPLICAS: kafka(19, true, 'Messages are rejected since there are fewer in-sync replicas than required.'),
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: kafka(20, true, 'Messages are written to the log, but to fewer in-sync replicas than required.'),
  INVALID_REQUIRED_ACKS: kafka(21, false, 'Produce request specified an invalid value for required acks.'),
  ILLEGAL_GENERATION: kafka(22, false, 'Specified group generation id is not valid.'),
  INCONSISTENT_GROUP_PROTOCOL: kafka(23, false, 'The group member\'s supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.'),
  INVALID_GROUP_ID: kafka(24, false, 'The configured groupId is invalid.'),
  UNKNOWN_MEMBER_ID: kafka(25, false, 'The coordinator is not aware of this member.'),
  INVALID_SESSION_TIMEOUT: kafka(26, false, 'The session timeout is not within the range allowed by the broker.'),
  REBALANCE_IN_PROGRESS: kafka(27, false, 'The group is rebalancing, so a rejoin is needed.'),
  INVALID_COMMIT_OFFSET_SIZE: kafka(28, false, 'The committing offset data size is not valid.'),
  TOPIC_AUTHORIZATION_FAILED: kafka(29, false, 'Topic authorization failed.'),
  GROUP_AUTHORIZATION_FAILED: kafka(30, false, 'Group authorization failed.'),
  CLUSTER_AUTHORIZATION_FAILED: kafka(31, false, 'Cluster authorization failed.'),
  INVALID_TIMESTAMP: kafka(32, false, 'The timestamp of the message is out of acceptable range.'),
  UNSUPPORTED_SASL_MECHANISM: kafka(33, false, 'The broker does not support the requested SASL mechanism.'),
  ILLEGAL_SASL_STATE: kafka(34, false, 'Request is not valid given the current SASL state.'),
  UNSUPPORTED_VERSION: kafka(35, false, 'The version of API is not supported.'),
  TOPIC_ALREADY_EXISTS: kafka(36, false, 'Topic with this name already exists.'),
  INVALID_PARTITIONS: kafka(37, false, 'Number of partitions is below 1.'),
  INVALID_REPLICATION_FACTOR: kafka(38, false, 'Replication factor is below 1 or larger than the number of available brokers.'),
  INVALID_REPLICA_ASSIGNMENT: kafka(39, false, 'Replica assignment is invalid.'),
  INVALID_CONFIG: kafka(40, false, 'Configuration is invalid.'),
  NOT_CONTROLLER: kafka(41, true, 'This is not the correct controller for this cluster.'),
  INVALID_REQUEST: kafka(42, false, 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker.'),
  UNSUPPORTED_FOR_MESSAGE_FORMAT: kafka(43, false, 'The message format version on the broker does not support the request.'),
  POLICY_VIOLATION: kafka(44, false, 'Request parameters do not satisfy the configured policy.'),
  OUT_OF_ORDER_SEQUENCE_NUMBER: kafka(45, false, 'The broker received an out of order sequence number.'),
  DUPLICATE_SEQUENCE_NUMBER: kafka(46, false, 'The broker received a duplicate sequence number.'),
  INVALID_PRODUCER_EPOCH: kafka(47, false, 'Producer attempted to produce with an old epoch.'),
  INVALID_TXN_STATE: kafka(48, false, 'The producer attempted a transactional operation in an invalid state.'),
  INVALID_PRODUCER_ID_MAPPING: kafka(49, false, 'The producer attempted to use a producer id which is not currently assigned to its transactional id.'),
  INVALID_TRANSACTION_TIMEOUT: kafka(50, false, 'The transaction timeout is larger than the maximum value allowed by the broker.'),
  CONCURRENT_TRANSACTIONS: kafka(51, true, 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.'),
  TRANSACTION_COORDINATOR_FENCED: kafka(52, false, 'Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.'),
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: kafka(53, false, 'Transactional Id authorization failed.'),
  SECURITY_DISABLED: kafka(54, false, 'Security features are disabled.'),
  OPERATION_NOT_ATTEMPTED: kafka(55, false, 'The broker did not attempt to execute this operation.'),
  KAFKA_STORAGE_ERROR: kafka(56, true, 'Disk error when trying to access log file on the disk.'),
  LOG_DIR_NOT_FOUND: kafka(57, false, 'The user-specified log directory is not found in the broker config.'),
  SASL_AUTHENTICATION_FAILED: kafka(58, false, 'SASL Authentication failed.'),
  UNKNOWN_PRODUCER_ID: kafka(59, false, 'This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question.'),
  REASSIGNMENT_IN_PROGRESS: kafka(60, false, 'A partition reassignment is in progress.'),
  DELEGATION_TOKEN_AUTH_DISABLED: kafka(61, false, 'Delegation Token feature is not enabled.'),
  DELEGATION_TOKEN_NOT_FOUND: kafka(62, false, 'Delegation Token is not found on server.'),
  DELEGATION_TOKEN_OWNER_MISMATCH: kafka(63, false, 'Specified Principal is not valid Owner/Renewer.'),
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: kafka(64, false, 'Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.'),
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: kafka(65, false, 'Delegation Token authorization failed.'),
  DELEGATION_TOKEN_EXPIRED: kafka(66, false, 'Delegation Token is expired.'),
  INVALID_PRINCIPAL_TYPE: kafka(67, false, 'Supplied principalType is not supported.'),
  NON_EMPTY_GROUP: kafka(68, false, 'The group is not empty.'),
  GROUP_ID_NOT_FOUND: kafka(69, false, 'The group id does not exist.'),
  FETCH_SESSION_ID_NOT_FOUND: kafka(70, true, 'The fetch session ID was not found.'),
  INVALID_FETCH_SESSION_EPOCH: kafka(71, true, 'The fetch session epoch is invalid.'),
  LISTENER_NOT_FOUND: kafka(72, true, 'There is no listener on the leader broker that matches the listener on which metadata request was processed.'),
  TOPIC_DELETION_DISABLED: kafka(73, false, 'Topic deletion is disabled.'),
  FENCED_LEADER_EPOCH: kafka(74, true, 'The leader epoch in the request is older than the epoch on the broker.'),
  UNKNOWN_LEADER_EPOCH: kafka(75, true, 'The leader epoch in the request is newer than the epoch on the broker.'),
  UNSUPPORTED_COMPRESSION_TYPE: kafka(76, false, 'The requesting client does not support the compression type of given partition.'),
  STALE_BROKER_EPOCH: kafka(77, false, 'Broker epoch has changed.'),
  OFFSET_NOT_AVAILABLE: kafka(78, true, 'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.'),
  MEMBER_ID_REQUIRED: kafka(79, false, 'The group member needs to have a valid member id before actually entering a consumer group.'),
  PREFERRED_LEADER_NOT_AVAILABLE: kafka(80, true, 'The preferred leader was not available.'),
  GROUP_MAX_SIZE_REACHED: kafka(81, false, 'The group has reached its maximum size.'),
  FENCED_INSTANCE_ID: kafka(82, false, 'The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.'),
  ELIGIBLE_LEADERS_NOT_AVAILABLE: kafka(83, true, 'Eligible topic partition leaders are not available.'),
  ELECTION_NOT_NEEDED: kafka(84, true, 'Leader election not needed for topic partition.'),
  NO_REASSIGNMENT_IN_PROGRESS: kafka(85, false, 'No partition reassignment is in progress.'),
  GROUP_SUBSCRIBED_TO_TOPIC: kafka(86, false, 'Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.'),
  INVALID_RECORD: kafka(87, false, 'This record has failed the validation on broker and hence will be rejected.'),
  UNSTABLE_OFFSET_COMMIT: kafka(88, true, 'There are unstable offsets that need to be cleared.'),
  THROTTLING_QUOTA_EXCEEDED: kafka(89, true, 'The throttling quota has been exceeded.'),
  PRODUCER_FENCED: kafka(90, false, 'There is a newer producer with the same transactionalId which fences the current one.'),
  RESOURCE_NOT_FOUND: kafka(91, false, 'A request illegally referred to a resource that does not exist.'),
  DUPLICATE_RESOURCE: kafka(92, false, 'A request illegally referred to the same resource twice.'),
  UNACCEPTABLE_CREDENTIAL: kafka(93, false, 'Requested credential would not meet criteria for acceptability.'),
  INCONSISTENT_VOTER_SET: kafka(94, false, 'Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.'),
  INVALID_UPDATE_VERSION: kafka(95, false, 'The given update version was invalid.'),
  FEATURE_UPDATE_FAILED: kafka(96, false, 'Unable to update finalized features due to an unexpected server error.'),
  PRINCIPAL_DESERIALIZATION_FAILURE: kafka(97, false, 'Request principal deserialization failed during forwarding.'),
  SNAPSHOT_NOT_FOUND: kafka(98, false, 'Requested snapshot was not found.'),
  POSITION_OUT_OF_RANGE: kafka(99, false, 'Requested position is not greater than or equal to zero, and less than the size of the snapshot.'),
  UNKNOWN_TOPIC_ID: kafka(100, true, 'This server does not host this topic ID.'),
  DUPLICATE_BROKER_REGISTRATION: kafka(101, false, 'This broker ID is already in use.'),
  BROKER_ID_NOT_REGISTERED: kafka(102, false, 'The given broker ID was not registered.'),
  INCONSISTENT_TOPIC_ID: kafka(103, true, 'The log\'s topic ID did not match the topic ID in the request.'),
  INCONSISTENT_CLUSTER_ID: kafka(104, false, 'The clusterId in the request does not match that found on the server.'),
  TRANSACTIONAL_ID_NOT_FOUND: kafka(105, false, 'The transactionalId could not be found.'),
  FETCH_SESSION_TOPIC_ID_ERROR: kafka(106, true, 'The fetch session encountered inconsistent topic ID usage.'),
  INELIGIBLE_REPLICA: kafka(107, false, 'The new ISR contains at least one ineligible replica.'),
  NEW_LEADER_ELECTED: kafka(108, false, 'The AlterPartition request successfully updated the partition state but the leader has changed.'),
  OFFSET_MOVED_TO_TIERED_STORAGE: kafka(109, false, 'The requested offset is moved to tiered storage.'),
  FENCED_MEMBER_EPOCH: kafka(110, false, 'The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.'),
  UNRELEASED_INSTANCE_ID: kafka(111, false, 'The instance ID is still used by another member in the consumer group. That member must leave first.'),
  UNSUPPORTED_ASSIGNOR: kafka(112, false, 'The assignor or its version range is not supported by the consumer group.'),
  STALE_MEMBER_EPOCH: kafka(113, false, 'The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.'),
  MISMATCHED_ENDPOINT_TYPE: kafka(114, false, 'The request was sent to an endpoint of the wrong type.'),
  UNSUPPORTED_ENDPOINT_TYPE: kafka(115, false, 'This endpoint type is not supported yet.'),
  UNKNOWN_CONTROLLER_ID: kafka(116, false, 'This controller ID is not known.'),
  UNKNOWN_SUBSCRIPTION_ID: kafka(117, false, 'Client sent a push telemetry request with an invalid or outdated subscription ID.'),
  TELEMETRY_TOO_LARGE: kafka(118, false, 'Client sent a push telemetry request larger than the maximum size the broker will accept.'),
  INVALID_REGISTRATION: kafka(119, false, 'The controller has considered the broker registration to be invalid.'),
  TRANSACTION_ABORTABLE: kafka(120, false, 'The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.'),
  // Tributary-only conditions. They never go over the wire under their own number.
  LOG_DIR_LOCKED: { code: -101, retriable: false, message: 'The data folder is locked by another Tributary process or another open log in this process.', wireCode: 56 },
  CLIENT_CLOSED: { code: -102, retriable: false, message: 'The client or log was used after close().', wireCode: -1 },
  INVALID_ARGUMENT: { code: -103, retriable: false, message: 'An argument or option passed to Tributary is invalid.', wireCode: 42 },
  REQUEST_ABORTED: { code: -104, retriable: false, message: 'The request was aborted by its AbortSignal before a response arrived.', wireCode: -1 },
  SSL_AUTHENTICATION_FAILED: { code: -105, retriable: false, message: 'The TLS handshake failed: the broker’s certificate is not trusted, or it refused ours (Kafka’s SslAuthenticationException).', wireCode: -1 },
} as const satisfies Record<string, ErrorCodeInfo>;

/**
 * The name of one of Kafka's (or Tributary's) error codes, such as `'NOT_LEADER_OR_FOLLOWER'`.
 *
 * @example
 * ```ts
 * import { errorCodes, isTributaryError, type ErrorCode } from 'tributary-log';
 *
 * const worthRetrying = (code: ErrorCode): boolean => errorCodes[code].retriable;
 * function codeOf(err: unknown): ErrorCode {
 *   return isTributaryError(err) ? err.code : 'UNKNOWN_SERVER_ERROR';
 * }
 * console.log(worthRetrying(codeOf(new Error('boom')))); // false
 * ```
 */
export type ErrorCode = keyof typeof errorCodes;

const byNumber = new Map<number, ErrorCode>();
for (const [name, info] of Object.entries(errorCodes) as [ErrorCode, ErrorCodeInfo][]) byNumber.set(info.code, name);

/** The name for a numeric code, as read from a Kafka response; unknown numbers map to `UNKNOWN_SERVER_ERROR`. @internal */
export function errorCodeFromNumber(code: number): ErrorCode {
  return byNumber.get(code) ?? 'UNKNOWN_SERVER_ERROR';
}

/** The name for a numeric code, or undefined for a number outside the table (where a reader refuses it). @internal */
export function knownErrorCode(code: number): ErrorCode | undefined {
  return byNumber.get(code);
}
