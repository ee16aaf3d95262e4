/**
 * librdkafka 2.0.2's ACL Admin API (DescribeAcls, CreateAcls, DeleteAcls, called through
 * ctypes by `py/rdkafka_admin.py`: the 1.7.0 Python binding predates them) against a
 * broker with no authorizer: Kafka answers SECURITY_DISABLED, and so must Tributary
 * (librdkafka asks v1, the version both sides speak), at the request level for
 * DescribeAcls (which librdkafka drops: it reports an empty listing, as against Kafka) and
 * per binding or filter for the other two, which librdkafka reports.
 */
import { describe, expect, it } from 'vitest';
import { requireClients, runPython } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
clusterForFile({ nodes: 1 }, (c) => (cluster = c), requireClients);

type Result = { error: string | null; message?: string; items?: [string | null, string | null][] };

describe('librdkafka 2.0.2 ACL admin over the wire', { timeout: 300_000 }, () => {
  it('DescribeAcls, CreateAcls and DeleteAcls are SECURITY_DISABLED, with Kafka messages', async () => {
    // [restype, name, pattern, principal, host, operation, permission] in Kafka's numbers:
    // TOPIC 2, ANY 1; LITERAL 3; READ 3; ALLOW 3.
    const anyFilter = [1, null, 1, null, null, 1, 1];
    const readOrders = [2, 'orders', 3, 'User:alice', '*', 3, 3];
    const ops = [
      { op: 'describe_acls', acl: anyFilter },
      { op: 'create_acls', acls: [readOrders, [2, 'orders', 3, 'User:bob', '*', 3, 3]] },
      { op: 'delete_acls', filters: [anyFilter] },
    ];
    const [described, created, deleted] = await runPython<Result[]>('rdkafka_admin.py', [cluster.bootstrapServers, JSON.stringify(ops)], { timeoutMs: 240_000 });
    // librdkafka reads DescribeAcls's top-level error and drops it (rd_kafka_DescribeAclsResponse_parse
    // returns NO_ERROR whatever the code; unchanged to 2.15), so against Kafka and Tributary alike
    // it reports an empty listing. The raw answer's SECURITY_DISABLED is checked in acls-reassignments.test.ts.
    expect(described).toEqual({ error: null, items: [] });
    expect(created).toEqual({ error: null, items: [['SECURITY_DISABLED', 'No Authorizer is configured.'], ['SECURITY_DISABLED', 'No Authorizer is configured.']] });
    expect(deleted).toEqual({ error: null, items: [['SECURITY_DISABLED', 'No Authorizer is configured.']] });
  });
});
