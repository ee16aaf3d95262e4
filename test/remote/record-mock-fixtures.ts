/**
 * Records what librdkafka 2.0.2's mock cluster answers to a fixed conversation, as hex
 * fixtures for `mock-fixtures.test.ts` (so the check runs without Python):
 * `npx tsx test/remote/record-mock-fixtures.ts`. The requests are encoded by Tributary's
 * codec; the answers are the mock's bytes, decoded in the test by Tributary's codec and
 * checked field by field against what the conversation must produce.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { decodeResponse, encodeRequest } from '../../src/protocol/wire/codec.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Request } from '../../src/protocol/requests.js';
import { FrameReader } from '../../src/transport/tcp/frame-reader.js';
import { conversation } from './mock-conversation.js';
import { root, startMockCluster } from './mock-harness.js';

const mock = await startMockCluster();
try {
  const [host, port] = mock.bootstrapServers.split(',')[0]!.split(':') as [string, string];
  const steps = await conversation();
  const answers = await talkToLeader(host, Number(port), steps);
  const out = steps.map((s, i) => ({ apiKey: s.request.apiKey, apiVersion: s.apiVersion, answer: Buffer.from(answers[i]!).toString('hex') }));
  writeFileSync(join(root, 'test', 'remote', 'fixtures', 'rdkafka-mock-conversation.json'), `${JSON.stringify(out, null, 1)}\n`);
  console.log(`recorded ${out.length} answers`);
} finally {
  await mock.stop();
}

async function talkToLeader(host: string, port: number, steps: readonly { apiVersion: number; request: Request }[]): Promise<Uint8Array[]> {
  // Metadata v2 from the bootstrap broker creates the topic and names the leader of fixture-0.
  const [md] = await talk(host, port, [{ apiVersion: 2, request: { apiKey: ApiKey.Metadata, topics: [{ name: 'fixture' }], allowAutoTopicCreation: true } }]);
  const res = decodeResponse(ApiKey.Metadata, 2, md!).response;
  const leader = res.topics[0]!.partitions.find((p) => p.partitionIndex === 0)!.leaderId;
  const broker = res.brokers.find((b) => b.nodeId === leader)!;
  return talk(broker.host, broker.port, steps);
}

function talk(host: string, port: number, steps: readonly { apiVersion: number; request: Request }[]): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const reader = new FrameReader(1 << 26);
    const answers: Uint8Array[] = [];
    let i = 0;
    const next = (): void => {
      if (i === steps.length) {
        socket.destroy();
        resolve(answers);
        return;
      }
      const s = steps[i]!;
      socket.write(encodeRequest(s.request, { apiVersion: s.apiVersion, correlationId: 100 + i, clientId: 'fixture' }));
      i++;
    };
    socket.on('error', reject);
    socket.on('connect', next);
    socket.on('data', (c) =>
      reader.push(c, (m) => {
        answers.push(Uint8Array.from(m));
        next();
      }),
    );
  });
}
