/**
 * What librdkafka 2.0.2's mock cluster (an independent Kafka implementation, in C) answered
 * to a fixed conversation (`mock-conversation.ts`), recorded by `record-mock-fixtures.ts`
 * and decoded here by Tributary's codec. A bug symmetric in our encoder and decoder would
 * pass our own round trips; it cannot pass bytes another implementation wrote.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { decodeResponse } from '../../src/protocol/wire/codec.js';
import { decodeBatches } from '../../src/record/index.js';
import { fixtureRecords } from './mock-conversation.js';
import { root } from './mock-harness.js';

interface Recorded {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly answer: string;
}

const recorded = JSON.parse(readFileSync(join(root, 'test', 'remote', 'fixtures', 'rdkafka-mock-conversation.json'), 'utf8')) as Recorded[];
const bytes = (r: Recorded): Uint8Array => Uint8Array.from(Buffer.from(r.answer, 'hex'));

describe('answers recorded from librdkafka 2.0.2 mock cluster', () => {
  it('ApiVersions v0: the ranges wire.md section 4 lists for the 2.0.2 mock', () => {
    const { correlationId, response } = decodeResponse(ApiKey.ApiVersions, 0, bytes(recorded[0]!));
    expect(correlationId).toBe(100);
    expect(response.errorCode).toBe('NONE');
    const max = (key: number): number | undefined => response.apiKeys.find((a) => (a.apiKey as number) === key)?.maxVersion;
    expect([max(ApiKey.Produce), max(ApiKey.Fetch), max(ApiKey.Metadata), max(ApiKey.ApiVersions)]).toEqual([7, 11, 2, 2]);
  });

  it('Produce v7: the batch appended at offset 0', () => {
    const { correlationId, response } = decodeResponse(ApiKey.Produce, 7, bytes(recorded[1]!));
    expect(correlationId).toBe(101);
    const p = response.responses[0]!.partitionResponses[0]!;
    expect(response.responses[0]!.name).toBe('fixture');
    expect(p).toMatchObject({ index: 0, errorCode: 'NONE', baseOffset: 0 });
  });

  it('Fetch v11: the records come back with their keys, values and headers', async () => {
    const { correlationId, response } = decodeResponse(ApiKey.Fetch, 11, bytes(recorded[2]!));
    expect(correlationId).toBe(102);
    expect(response.errorCode).toBe('NONE');
    const p = response.responses[0]!.partitions[0]!;
    expect(p).toMatchObject({ partitionIndex: 0, errorCode: 'NONE', highWatermark: fixtureRecords.length });
    const records = await decodeBatches(p.records!);
    expect(records.map((r) => [Buffer.from(r.key!).toString(), Buffer.from(r.value!).toString(), r.offset])).toEqual(fixtureRecords.map((r, i) => [r.key, r.value, i]));
    expect(Buffer.from(records[0]!.headers[0]!.value!).toString()).toBe('v');
  });
});
