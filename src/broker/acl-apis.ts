/**
 * `AclApis`: DescribeAcls (29), CreateAcls (30) and DeleteAcls (31), Kafka's class of that
 * name, for a broker with no authorizer.
 *
 * Tributary has no authorizer (`authorizer.class.name` unset, in Kafka's terms), so it
 * answers these as Kafka's `AclApis` does when none is configured: SECURITY_DISABLED,
 * at the top of a DescribeAcls answer, in every creation's result of a CreateAcls and in
 * every filter's result of a DeleteAcls (`CreateAclsRequest.getErrorResponse`,
 * `DeleteAclsRequest.getErrorResponse`). Nothing is stored and nothing is matched: an ACL
 * that a client believes it created would protect nothing, so refusing is the honest
 * answer. A client shows the error (KafkaJS throws `KafkaJSProtocolError` "Security
 * features are disabled", librdkafka `RD_KAFKA_RESP_ERR_SECURITY_DISABLED`).
 * @internal
 */
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';

/** The error message of Kafka's `AclApis` when no authorizer is configured. */
export const noAuthorizerMessage = 'No Authorizer is configured.';

export function describeAcls(_req: P.DescribeAclsRequest): P.DescribeAclsResponse {
  // Kafka's DescribeAcls says "on the broker" where the other two do not.
  return { apiKey: ApiKey.DescribeAcls, errorCode: 'SECURITY_DISABLED', errorMessage: 'No Authorizer is configured on the broker', resources: [], throttleTimeMs: 0 };
}

export function createAcls(req: P.CreateAclsRequest): P.CreateAclsResponse {
  return { apiKey: ApiKey.CreateAcls, results: req.creations.map(() => ({ errorCode: 'SECURITY_DISABLED' as const, errorMessage: noAuthorizerMessage })), throttleTimeMs: 0 };
}

export function deleteAcls(req: P.DeleteAclsRequest): P.DeleteAclsResponse {
  return { apiKey: ApiKey.DeleteAcls, filterResults: req.filters.map(() => ({ errorCode: 'SECURITY_DISABLED' as const, errorMessage: noAuthorizerMessage, matchingAcls: [] })), throttleTimeMs: 0 };
}
