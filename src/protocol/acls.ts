/**
 * The ACL APIs, DescribeAcls (29), CreateAcls (30) and DeleteAcls (31), and the partition
 * reassignment APIs, AlterPartitionReassignments (45) and ListPartitionReassignments (46),
 * shaped after Kafka's `*Request.json` and `*Response.json` at the versions in
 * `api-keys.ts`.
 *
 * Tributary has no authorizer, so its broker answers the ACL APIs as Kafka's does when
 * none is configured (SECURITY_DISABLED), and it never moves replicas, so no reassignment
 * is ever in progress. The codes inside these messages are Kafka's numbers, kept as
 * numbers: resource type (2 topic, 3 group, 4 cluster, ...), pattern type (3 literal, 4
 * prefixed), operation and permission type (`org.apache.kafka.common.acl`).
 */
import type { ErrorCode } from '../util/error-codes.js';
import type { ApiKey } from './api-keys.js';

// ---- DescribeAcls (29) ----

/** A filter over ACL bindings: null strings match anything. */
export interface AclBindingFilter {
  readonly resourceTypeFilter: number;
  readonly resourceNameFilter: string | null;
  readonly patternTypeFilter?: number;
  readonly principalFilter: string | null;
  readonly hostFilter: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export interface DescribeAclsRequest extends AclBindingFilter {
  readonly apiKey: typeof ApiKey.DescribeAcls;
}

export interface DescribeAclsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType?: number;
  readonly acls: readonly { readonly principal: string; readonly host: string; readonly operation: number; readonly permissionType: number }[];
}

export interface DescribeAclsResponse {
  readonly apiKey: typeof ApiKey.DescribeAcls;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly resources: readonly DescribeAclsResource[];
  readonly throttleTimeMs?: number;
}

// ---- CreateAcls (30) ----

export interface AclCreation {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly resourcePatternType?: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

export interface CreateAclsRequest {
  readonly apiKey: typeof ApiKey.CreateAcls;
  readonly creations: readonly AclCreation[];
}

export interface CreateAclsResponse {
  readonly apiKey: typeof ApiKey.CreateAcls;
  /** One result per creation, in the request's order. */
  readonly results: readonly { readonly errorCode: ErrorCode; readonly errorMessage: string | null }[];
  readonly throttleTimeMs?: number;
}

// ---- DeleteAcls (31) ----

export interface DeleteAclsRequest {
  readonly apiKey: typeof ApiKey.DeleteAcls;
  readonly filters: readonly AclBindingFilter[];
}

export interface DeleteAclsMatchingAcl {
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType?: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

export interface DeleteAclsResponse {
  readonly apiKey: typeof ApiKey.DeleteAcls;
  /** One result per filter, in the request's order. */
  readonly filterResults: readonly { readonly errorCode: ErrorCode; readonly errorMessage: string | null; readonly matchingAcls: readonly DeleteAclsMatchingAcl[] }[];
  readonly throttleTimeMs?: number;
}

// ---- AlterPartitionReassignments (45) ----

export interface AlterPartitionReassignmentsRequest {
  readonly apiKey: typeof ApiKey.AlterPartitionReassignments;
  readonly timeoutMs?: number;
  readonly topics: readonly {
    readonly name: string;
    /** `replicas` null cancels the partition's reassignment. */
    readonly partitions: readonly { readonly partitionIndex: number; readonly replicas: readonly number[] | null }[];
  }[];
}

export interface AlterPartitionReassignmentsResponse {
  readonly apiKey: typeof ApiKey.AlterPartitionReassignments;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly responses: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: ErrorCode; readonly errorMessage: string | null }[];
  }[];
  readonly throttleTimeMs?: number;
}

// ---- ListPartitionReassignments (46) ----

export interface ListPartitionReassignmentsRequest {
  readonly apiKey: typeof ApiKey.ListPartitionReassignments;
  readonly timeoutMs?: number;
  /** The partitions to list, or null for every partition being reassigned. */
  readonly topics?: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;
}

export interface OngoingPartitionReassignment {
  readonly partitionIndex: number;
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export interface ListPartitionReassignmentsResponse {
  readonly apiKey: typeof ApiKey.ListPartitionReassignments;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly OngoingPartitionReassignment[] }[];
  readonly throttleTimeMs?: number;
}
