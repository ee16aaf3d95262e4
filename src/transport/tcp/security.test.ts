/**
 * Who may connect: SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS on a cluster's
 * listeners, driven by KafkaJS and by raw frames.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';

const testdata = join(fileURLToPath(new URL('.', import.meta.url)), 'testdata');
const users = { alice: 'alice-secret', bob: 'bob-secret' };

function kafkaFor(cluster: Cluster, sasl: SASLOptions | undefined, ssl?: object): Kafka {
  return new Kafka({
    clientId: 'security-test',
    brokers: cluster.bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
    ...(sasl ? { sasl } : {}),
    ...(ssl ? { ssl } : {}),
    connectionTimeout: 30_000,
    authenticationTimeout: 30_000,
    retry: { retries: 0 },
  });
}

/** Sends raw bytes, resolves with what came back before the server closed the connection. */
function exchange(port: number, bytes: Buffer): Promise<{ received: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, 20_000);
    socket.on('data', (d) => (received = Buffer.concat([received, d])));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
    socket.write(bytes);
  });
}

function frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(12);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(0, 8); // client id ''
  const message = Buffer.concat([header.subarray(0, 10), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(message.length);
  return Buffer.concat([size, message]);
}

describe('SASL on the listeners', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ nodes: 1, listen: {}, sasl: { users } });
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`lets the right user in with ${mechanism}, and refuses a wrong password`, async () => {
      const ok = kafkaFor(cluster, { mechanism, username: 'alice', password: 'alice-secret' } as SASLOptions).admin();
      await ok.connect();
      const described = await ok.describeCluster();
      expect(described.brokers).toHaveLength(1);
      await ok.disconnect();
      const wrong = kafkaFor(cluster, { mechanism, username: 'alice', password: 'nope' } as SASLOptions).admin();
      await expect(wrong.connect()).rejects.toThrow(/SASL|[Aa]uthentication/);
      await wrong.disconnect().catch(() => {});
      const unknown = kafkaFor(cluster, { mechanism, username: 'mallory', password: 'alice-secret' } as SASLOptions).admin();
      await expect(unknown.connect()).rejects.toThrow(/SASL|[Aa]uthentication/);
      await unknown.disconnect().catch(() => {});
    }, 60_000);
  }

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    it(`lets kcat (librdkafka) in with ${mechanism}, and refuses a wrong password`, async () => {
      const kcat = (password: string) =>
        new Promise<{ code: number; out: string }>((resolve) => {
          const args = ['-b', cluster.bootstrapServers, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=alice', '-X', `sasl.password=${password}`, '-m', '5', '-L'];
          execFile('kcat', args, { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
        });
      const ok = await kcat('alice-secret');
      expect(ok.out).toContain('1 brokers');
      expect(ok.code).toBe(0);
      const bad = await kcat('wrong');
      expect(bad.out).toMatch(/SASL authentication error/);
      expect(bad.code).not.toBe(0);
    }, 60_000);
  }

  it('refuses a client without SASL: its first request other than ApiVersions closes the connection', async () => {
    const port = Number(cluster.bootstrapServers.split(':')[1]);
    // ApiVersions v0 is answered; Metadata v1 (all topics) before authentication closes the connection unanswered.
    const { received, closed } = await exchange(port, Buffer.concat([frame(18, 0, 1), frame(3, 1, 2, Buffer.from([0xff, 0xff, 0xff, 0xff]))]));
    expect(closed).toBe(true);
    expect(received.readInt32BE(4)).toBe(1);
    expect(received.length).toBe(4 + received.readInt32BE(0)); // one answer, the ApiVersions one
    const plain = kafkaFor(cluster, undefined).admin();
    await expect(plain.connect().then(() => plain.describeCluster())).rejects.toThrow();
    await plain.disconnect().catch(() => {});
  }, 60_000);

  it('speaks the raw token framing of SaslHandshake v0', async () => {
    const port = Number(cluster.bootstrapServers.split(':')[1]);
    const mech = Buffer.from('PLAIN');
    const handshake = frame(17, 0, 1, Buffer.concat([Buffer.from([0, mech.length]), mech]));
    const token = Buffer.from('\u0000bob\u0000bob-secret');
    const raw = Buffer.concat([Buffer.alloc(4), token]);
    raw.writeInt32BE(token.length);
    const metadata = frame(3, 1, 2, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    socket.on('data', (d) => (received = Buffer.concat([received, d])));
    socket.write(Buffer.concat([handshake, raw, metadata]));
    const deadline = Date.now() + 20_000;
    // handshake answer, an empty raw token, the metadata answer
    const frames = (): Buffer[] => {
      const out: Buffer[] = [];
      let at = 0;
      while (received.length - at >= 4 && received.length - at - 4 >= received.readInt32BE(at)) {
        out.push(received.subarray(at + 4, at + 4 + received.readInt32BE(at)));
        at += 4 + received.readInt32BE(at);
      }
      return out;
    };
    while (frames().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    const [hs, tok, md] = frames();
    expect(hs!.readInt32BE(0)).toBe(1);
    expect(hs!.readInt16BE(4)).toBe(0);
    expect(tok!.length).toBe(0);
    expect(md!.readInt32BE(0)).toBe(2);
  }, 30_000);
});

describe('TLS on the listeners', () => {
  it('serves KafkaJS over TLS with the key and certificate given, SASL inside', async () => {
    const key = readFileSync(join(testdata, 'key.pem'), 'utf8');
    const cert = readFileSync(join(testdata, 'cert.pem'), 'utf8');
    await using cluster = await Cluster.start({ nodes: 1, listen: {}, tls: { key, cert }, sasl: { mechanisms: ['SCRAM-SHA-512'], users } });
    const admin = kafkaFor(cluster, { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' }, { ca: [cert] }).admin();
    await admin.connect();
    expect((await admin.describeCluster()).clusterId).toBe(cluster.clusterId);
    await admin.disconnect();
    // A client that does not trust the certificate does not get in.
    const untrusting = kafkaFor(cluster, { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' }, { rejectUnauthorized: true }).admin();
    await expect(untrusting.connect()).rejects.toThrow();
    await untrusting.disconnect().catch(() => {});
  }, 60_000);

  it('with a ca, requires a client certificate it signed (mutual TLS)', async () => {
    const key = readFileSync(join(testdata, 'key.pem'), 'utf8');
    const cert = readFileSync(join(testdata, 'cert.pem'), 'utf8');
    // The test certificate is self-signed: it is its own CA, and the client presents it too.
    await using cluster = await Cluster.start({ nodes: 1, listen: {}, tls: { key, cert, ca: cert } });
    const withCert = kafkaFor(cluster, undefined, { ca: [cert], key, cert }).admin();
    await withCert.connect();
    expect((await withCert.describeCluster()).brokers).toHaveLength(1);
    await withCert.disconnect();
    const without = kafkaFor(cluster, undefined, { ca: [cert] }).admin();
    await expect(without.connect().then(() => without.describeCluster())).rejects.toThrow();
    await without.disconnect().catch(() => {});
  }, 60_000);
});
