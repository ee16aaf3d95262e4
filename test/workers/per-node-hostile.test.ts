/**
 * `threads: 'per-node'`: a Produce request crosses from the calling thread to a node's
 * worker as the typed object (cluster/relayed-produce.ts), validated by the node's broker
 * as a client's request is. Garbled ones sent through the cluster's own transport (the
 * relay to the node workers) each come back as a typed error, and no node worker goes
 * down: the same cluster takes acks=all records afterwards on every partition.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import type { Request } from '../../src/protocol/requests.js';
import { TributaryError } from '../../src/util/errors.js';

const codeOf = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (err: unknown) => (err instanceof TributaryError ? err.code : `untyped: ${String(err)}`));

describe("threads: 'per-node': garbled Produce requests to a node's worker", () => {
  it('each is a typed error (INVALID_REQUEST, or INVALID_REQUIRED_ACKS for a request without a usable acks), and every node worker still serves', async () => {
    await using cluster = await Cluster.start({ nodes: 3, threads: 'per-node' });
    await cluster.admin().createTopics([{ name: 'h', partitions: 3, replicationFactor: 3 }]);
    const garbled: unknown[] = [
      { apiKey: 0 },
      { apiKey: 0, acks: -1, timeoutMs: 1000, topicData: 5 },
      { apiKey: 0, acks: -1, timeoutMs: 1000, topicData: [null] },
      { apiKey: 0, acks: -1, timeoutMs: 1000, topicData: [{ name: 'h', partitionData: 'x' }] },
      { apiKey: 0, acks: -1, timeoutMs: 1000, topicData: [{ name: 'h', partitionData: [{ index: 0, records: 'not bytes' }] }] },
      { apiKey: 0, acks: -1, timeoutMs: 1000, topicData: [{ name: 'h', partitionData: [{ index: 'zero', records: null }] }] },
      { apiKey: 0, acks: 'all', timeoutMs: 1000, topicData: [] },
    ];
    const codes: string[] = [];
    for (const node of [1, 2, 3]) for (const g of garbled) codes.push(await codeOf(cluster.transport.send(node, g as Request)));
    // The broker validates before it looks at acks (INVALID_REQUIRED_ACKS is its own code for an acks it cannot serve).
    const expected = ['INVALID_REQUIRED_ACKS', ...Array<string>(garbled.length - 2).fill('INVALID_REQUEST'), 'INVALID_REQUIRED_ACKS'];
    expect(codes).toEqual([...expected, ...expected, ...expected]);
    const producer = cluster.producer({ acks: 'all', lingerMs: 0 });
    for (let partition = 0; partition < 3; partition++) {
      const meta = await producer.send('h', { value: `after-${partition}`, partition });
      expect(meta.partition).toBe(partition);
    }
    await producer.close();
  }, 60_000);
});
