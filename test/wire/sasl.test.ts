/**
 * SASL on the listener (PLAIN and SCRAM-SHA-256/512 users from the Cluster options): the
 * right user gets in, a wrong password is refused, and a request before authentication is
 * refused, with KafkaJS and with kcat, and with a raw socket for the last.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kcat, kcatBase, requireClients, run, runKcat } from './helpers/clients.js';
import { startWireCluster, type WireCluster } from './helpers/cluster.js';
import { RawConnection, apiVersionsV0, metadataV1, requestMessage, sized } from './helpers/raw-client.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let cluster: WireCluster;
const users = { alice: 'alice-secret', bob: 'bob-secret' };

beforeAll(async () => {
  requireClients();
  cluster = await startWireCluster({ nodes: 3, sasl: { users } });
  await cluster.admin().createTopics([{ name: 'sasl-topic', partitions: 1, replicationFactor: 3 }]);
}, 120_000);

afterAll(async () => {
  await cluster?.close();
}, 120_000);

const mechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

function kafkajs(mechanism: (typeof mechanisms)[number], username: string, password: string): Kafka {
  return new Kafka({
    clientId: 'sasl-kjs',
    brokers: cluster.bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    retry: { retries: 2, initialRetryTime: 100 },
    sasl: { mechanism, username, password } as never,
  });
}

const kcatSasl = (mechanism: string, username: string, password: string): string[] => [
  '-X',
  'security.protocol=SASL_PLAINTEXT',
  '-X',
  `sasl.mechanisms=${mechanism}`,
  '-X',
  `sasl.username=${username}`,
  '-X',
  `sasl.password=${password}`,
];

describe('SASL on the listeners', { timeout: 300_000 }, () => {
  for (const mechanism of mechanisms) {
    it(`KafkaJS ${mechanism}: the right user gets in, produces and reads metadata; a wrong password is refused`, async () => {
      const ok = kafkajs(mechanism, 'alice', users.alice).admin();
      await ok.connect();
      try {
        expect(await ok.listTopics()).toContain('sasl-topic');
      } finally {
        await ok.disconnect();
      }
      const producer = kafkajs(mechanism, 'bob', users.bob).producer();
      await producer.connect();
      await producer.send({ topic: 'sasl-topic', acks: -1, messages: [{ value: `via ${mechanism}` }] });
      await producer.disconnect();

      const bad = kafkajs(mechanism, 'alice', 'wrong').admin();
      const err = await bad.connect().then(
        () => undefined,
        (e: Error) => e,
      );
      await bad.disconnect();
      expect(err).toBeDefined();
      expect(`${err!.name} ${err!.message}`).toMatch(/SASL|authentication/i);

      const nobody = kafkajs(mechanism, 'mallory', users.alice).admin();
      await expect(nobody.connect()).rejects.toThrow(/SASL|authentication/i);
      await nobody.disconnect();
    });
  }

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    it(`kcat ${mechanism}: the right user reads metadata and produces; a wrong password is refused`, async () => {
      const md = JSON.parse(await runKcat(kcatBase(cluster.bootstrapServers, [...kcatSasl(mechanism, 'alice', users.alice), '-L', '-J']))) as { brokers: unknown[]; topics: { topic: string }[] };
      expect(md.brokers).toHaveLength(3);
      expect(md.topics.map((t) => t.topic)).toContain('sasl-topic');
      await runKcat(kcatBase(cluster.bootstrapServers, [...kcatSasl(mechanism, 'bob', users.bob), '-P', '-t', 'sasl-topic']), { input: `kcat ${mechanism}\n` });

      // -m: give up on metadata after 15 s. A refused login never yields it.
      const bad = await run(kcat, kcatBase(cluster.bootstrapServers, [...kcatSasl(mechanism, 'alice', 'wrong'), '-m', '15', '-L']), { timeoutMs: 120_000 });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/Authentication failed|SASL authentication error|Invalid username or password|authentication/i);
      expect(bad.stdout).not.toContain('sasl-topic');
    });
  }

  it('a request before authentication is refused: ApiVersions is answered, Metadata closes the connection', async () => {
    const address = cluster.bootstrapServers.split(',')[0]!;
    const c = await RawConnection.open(address);
    try {
      // ApiVersions is allowed before SaslHandshake (clients ask it first), as in Kafka.
      c.write(apiVersionsV0(1));
      const answer = await c.next();
      expect(typeof answer).not.toBe('string');
      expect((answer as Buffer).readInt32BE(0)).toBe(1);
      expect((answer as Buffer).readInt16BE(4)).toBe(0);
      // Metadata without authenticating: no answer with the cluster's brokers; the connection closes.
      c.write(metadataV1(2));
      const next = await c.next(60_000);
      if (next !== 'closed') {
        // An error answer is acceptable if the connection then closes, never a successful Metadata.
        expect(next).not.toBe('timeout');
        const f = next as Buffer;
        expect(f.readInt32BE(0)).toBe(2);
        expect(f.includes(Buffer.from('sasl-topic'))).toBe(false);
        expect(await c.closedWithin(60_000)).toBe(true);
      }
    } finally {
      c.close();
    }
  });

  it('a wrong PLAIN password over a raw socket is answered SASL_AUTHENTICATION_FAILED (58), then nothing else is served', async () => {
    const address = cluster.bootstrapServers.split(',')[1]!;
    const c = await RawConnection.open(address);
    try {
      // SaslHandshake v1: mechanism "PLAIN".
      const mech = Buffer.from('PLAIN');
      const hs = Buffer.alloc(2 + mech.length);
      hs.writeInt16BE(mech.length, 0);
      mech.copy(hs, 2);
      c.write(sized(requestMessage(17, 1, 10, hs)));
      const hsAnswer = await c.next();
      expect(typeof hsAnswer).not.toBe('string');
      expect((hsAnswer as Buffer).readInt16BE(4)).toBe(0);
      // SaslAuthenticate v1: auth bytes "\0alice\0wrong".
      const token = Buffer.from('\0alice\0wrong');
      const body = Buffer.alloc(4 + token.length);
      body.writeInt32BE(token.length, 0);
      token.copy(body, 4);
      c.write(sized(requestMessage(36, 1, 11, body)));
      const auth = await c.next();
      if (auth !== 'closed') {
        expect(auth).not.toBe('timeout');
        expect((auth as Buffer).readInt32BE(0)).toBe(11);
        expect((auth as Buffer).readInt16BE(4)).toBe(58);
      }
      c.write(metadataV1(12));
      const after = await c.next(60_000);
      expect(after === 'closed' || (Buffer.isBuffer(after) && !after.includes(Buffer.from('sasl-topic')))).toBe(true);
    } finally {
      c.close();
    }
  });

  it('Tributary reads what the authenticated clients produced', async () => {
    const { readAll, text } = await import('./helpers/cluster.js');
    const values = (await readAll(cluster, 'sasl-topic')).map((r) => text(r.value));
    for (const m of mechanisms) expect(values).toContain(`via ${m}`);
    for (const m of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) expect(values).toContain(`kcat ${m}`);
  });
});
