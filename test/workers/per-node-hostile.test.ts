/**
 * `threads: 'per-node'`: a Produce request crosses from the calling thread to a node's
 * worker in the port transport's fixed layout (transport/port/produce-layout.ts), or as the
 * typed object when it does not fit (cluster/relayed-produce.ts), validated by the node's
 * broker as a client's request is. Garbled ones sent through the cluster's own transport
 * (the relay to the node workers) each come back as a typed error, and no node worker goes
 * down: the same cluster takes acks=all records afterwards on every partition.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/produce.js';
import type { Request } from '../../src/protocol/requests.js';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
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

  it('Produce requests to one node in one turn (one laid-out buffer on the node’s port) each get their own answer: one for an unknown partition, one for an unknown topic, one aborted, the rest appended in order', async () => {
    await using cluster = await Cluster.start({ nodes: 3, threads: 'per-node' });
    await cluster.admin().createTopics([{ name: 'turn', partitions: 3, replicationFactor: 3 }]);
    const producer = cluster.producer({ acks: 'all', lingerMs: 0 });
    await producer.send('turn', { value: 'warm', partition: 0 });
    await producer.close();
    const leader = (await cluster.admin().describeTopics(['turn']))[0]!.partitions[0]!.leader;
    const req = (topic: string, partition: number, value: string): ProduceRequest => ({
      apiKey: 0,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeBatchUncompressed([{ value: Buffer.from(value) }]) }] }],
    });
    const outcome = (p: Promise<unknown>): Promise<string> =>
      p.then(
        (r) => {
          const part = (r as ProduceResponse).responses[0]!.partitionResponses[0]!;
          return `${part.errorCode}${part.errorCode === 'NONE' ? `@${part.baseOffset}` : ''}`;
        },
        (err: unknown) => (err instanceof TributaryError ? err.code : `untyped: ${String(err)}`),
      );
    const abort = new AbortController();
    // All in one turn of this thread: the relay puts them in one message to the leader's worker.
    const sent = [
      cluster.transport.send(leader, req('turn', 0, 'a')),
      cluster.transport.send(leader, req('turn', 99, 'lost')),
      cluster.transport.send(leader, req('turn', 0, 'aborted'), { signal: abort.signal }),
      cluster.transport.send(leader, req('no-such-topic', 0, 'lost')),
      cluster.transport.send(leader, req('turn', 0, 'b')),
    ].map(outcome);
    // Aborted once it is on its way (the port's message leaves at the end of this turn): the
    // transport rejects it at once. (Aborted in this same turn it is refused too: the
    // transport contract's case.)
    await new Promise((r) => setImmediate(r));
    abort.abort();
    const got = await Promise.all(sent);
    expect(got[1]).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(got[2]).toBe('REQUEST_ABORTED');
    expect(got[3]).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    // 'a' and 'b' appended after 'warm' (offset 0), in the order sent; the aborted one may have been appended between them (the node may act on an aborted request, as after a client's timeout in Kafka).
    const a = /^NONE@(\d+)$/.exec(got[0]!);
    const b = /^NONE@(\d+)$/.exec(got[4]!);
    expect(a?.[1]).toBe('1');
    expect([2, 3]).toContain(Number(b?.[1]));
    const consumer = cluster.consumer();
    consumer.assign([{ topic: 'turn', partition: 0 }]);
    await consumer.seek({ topic: 'turn', partition: 0 }, 'earliest');
    const values: string[] = [];
    for await (const r of consumer) {
      values.push(Buffer.from(r.value as Uint8Array).toString());
      if (values.includes('b')) break;
    }
    await consumer.close();
    expect(values.filter((v) => v !== 'aborted')).toEqual(['warm', 'a', 'b']);
  }, 60_000);
});
