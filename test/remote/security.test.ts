/**
 * `connect()` with SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS, against a cluster
 * whose listeners require them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, connect, isTributaryError, type SaslMechanism } from '../../src/index.js';
import { root } from './mock-harness.js';

const testdata = join(root, 'src', 'transport', 'tcp', 'testdata');
const users = { alice: 'alice-secret' };

describe('connect() with SASL', () => {
  let served: Cluster;
  beforeAll(async () => {
    served = await Cluster.start({ nodes: 1, listen: { port: 0 }, sasl: { users } });
    await served.admin().createTopics([{ name: 'secure' }]);
  }, 60_000);
  afterAll(async () => {
    await served?.close();
  });

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as SaslMechanism[]) {
    it(`${mechanism}: the right password produces; a wrong one is SASL_AUTHENTICATION_FAILED`, async () => {
      {
        await using cluster = connect({ bootstrapServers: served.bootstrapServers, sasl: { mechanism, username: 'alice', password: 'alice-secret' } });
        const [meta] = await cluster.producer({ acks: 'all' }).send('secure', [{ value: mechanism }]);
        expect(meta!.offset).toBeGreaterThanOrEqual(0);
      }
      await using wrong = connect({ bootstrapServers: served.bootstrapServers, sasl: { mechanism, username: 'alice', password: 'nope' } });
      const err = await wrong.admin().listTopics().then(() => undefined, (e: unknown) => e);
      expect(isTributaryError(err) && err.code).toBe('SASL_AUTHENTICATION_FAILED');
    }, 60_000);
  }
});

describe('connect() with TLS', () => {
  it('produces over TLS, trusting the listener certificate', async () => {
    const cert = readFileSync(join(testdata, 'cert.pem'), 'utf8');
    const key = readFileSync(join(testdata, 'key.pem'), 'utf8');
    await using served = await Cluster.start({ nodes: 1, listen: { port: 0 }, tls: { key, cert } });
    await using cluster = connect({ bootstrapServers: served.bootstrapServers, tls: { ca: cert, checkServerIdentity: () => undefined } });
    await cluster.admin().createTopics([{ name: 'tls' }]);
    const [meta] = await cluster.producer().send('tls', [{ value: 'over tls' }]);
    expect(meta!.offset).toBe(0);
  }, 60_000);
});
