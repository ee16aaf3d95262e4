/**
 * The command line against a `tributary serve` child process that speaks SASL over TLS
 * (SASL_SSL): `--tls --tls-ca FILE --user NAME:PASSWORD` on every client command, each run
 * as the real `tributary` process; outputs and exit codes checked, and refusals that say why.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { TcpClientTransport } from '../../src/transport/tcp/client.js';
import { root, startServe, type Served } from './mock-harness.js';

const testdata = join(root, 'src', 'transport', 'tcp', 'testdata');
const cert = join(testdata, 'cert.pem');
const key = join(testdata, 'key.pem');

let served: Served;
beforeAll(async () => {
  served = await startServe(['--tls-key', key, '--tls-cert', cert, '--user', 'alice:secret', '--connections-max-reauth-ms', '2000'], 1);
}, 150_000);
afterAll(async () => {
  await served?.stop();
});

function run(args: readonly string[], stdin?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (err += String(d)));
    if (stdin !== undefined) child.stdin!.end(stdin);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('the command line over SASL_SSL', () => {
  it('topics, produce, consume and groups with --tls --tls-ca and --user; refused without them', async () => {
    const secure = ['--bootstrap-server', served.bootstrapServers, '--tls', '--tls-ca', cert, '--user', 'alice:secret'];
    expect(await run(['topics', ...secure, '--create', 'tls-orders', '--partitions', '2'])).toEqual({ code: 0, out: 'Created topic tls-orders.\n', err: '' });
    expect(await run(['produce', 'tls-orders', ...secure, '--key-separator', ':', '--partition', '0'], 'k1:one\nk2:two\n')).toEqual({ code: 0, out: '', err: '' });
    const consumed = await run(['consume', 'tls-orders', ...secure, '--from', 'earliest', '--max', '2', '--group', 'tls-readers', '--format', 'json']);
    expect(consumed.err).toBe('');
    expect(consumed.code).toBe(0);
    expect(consumed.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { key: string; value: string }).map((r) => `${r.key}=${r.value}`)).toEqual(['k1=one', 'k2=two']);
    const groups = await run(['groups', ...secure, '--list']);
    expect(groups.code).toBe(0);
    expect(groups.out.split('\n')).toContain('tls-readers');
    const listed = await run(['topics', ...secure, '--list', '--exclude-internal']);
    expect(listed).toEqual({ code: 0, out: 'tls-orders\n', err: '' });
    // The server's certificate is self-signed: without --tls-ca it is not trusted.
    const untrusted = await run(['topics', '--bootstrap-server', served.bootstrapServers, '--tls', '--user', 'alice:secret', '--list', '--request-timeout-ms', '3000']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toBe('');
    expect(untrusted.err).toMatch(/^tributary topics: SSL_AUTHENTICATION_FAILED: broker 127\.0\.0\.1:\d+: TLS: self[- ]signed certificate/);
    // A wrong password over TLS, and plaintext to a TLS listener, fail with exit code 1 too.
    const wrong = await run(['topics', '--bootstrap-server', served.bootstrapServers, '--tls', '--tls-ca', cert, '--user', 'alice:guess', '--list', '--request-timeout-ms', '3000']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/SASL_AUTHENTICATION_FAILED/);
    const plain = await run(['topics', '--bootstrap-server', served.bootstrapServers, '--user', 'alice:secret', '--list', '--request-timeout-ms', '3000']);
    expect(plain.code).toBe(1);
    expect(plain.out).toBe('');
  }, 240_000);

  it('--command-config: the client properties of Kafka\'s scripts (Java names) and of kcat -F (librdkafka names)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-command-config-'));
    try {
      const java = join(dir, 'client.properties');
      writeFileSync(
        java,
        ['# as for kafka-topics.sh --command-config', 'security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-256', 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="secret";', `ssl.truststore.location=${cert}`, 'ssl.truststore.type=PEM', 'linger.ms=5', ''].join('\n'),
      );
      const rdkafka = join(dir, 'rdkafka.conf');
      writeFileSync(rdkafka, ['security.protocol=sasl_ssl', 'sasl.mechanisms=PLAIN', 'sasl.username=alice', 'sasl.password=secret', `ssl.ca.location=${cert}`, ''].join('\n'));
      for (const file of [java, rdkafka]) {
        const listed = await run(['topics', '--bootstrap-server', served.bootstrapServers, '--command-config', file, '--list', '--exclude-internal']);
        expect(listed.err).toBe('');
        expect(listed.code).toBe(0);
        expect(listed.out.split('\n')).toContain('tls-orders');
      }
      // A flag beside the file wins: the wrong password is used, and refused.
      const wrong = await run(['topics', '--bootstrap-server', served.bootstrapServers, '--command-config', rdkafka, '--user', 'alice:guess', '--list', '--request-timeout-ms', '3000']);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/SASL_AUTHENTICATION_FAILED/);
      // A JKS truststore cannot be read, and says so; a missing file is one line, exit code 1.
      const jks = join(dir, 'jks.properties');
      writeFileSync(jks, ['security.protocol=SSL', 'ssl.truststore.location=/etc/kafka/truststore.jks', ''].join('\n'));
      const refused = await run(['topics', '--bootstrap-server', served.bootstrapServers, '--command-config', jks, '--list']);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain('ssl.truststore.type=PEM');
      const missing = await run(['topics', '--bootstrap-server', served.bootstrapServers, '--command-config', join(dir, 'nope.properties'), '--list']);
      expect(missing.code).toBe(1);
      expect(missing.err.trimEnd().split('\n')).toHaveLength(1);
      expect(missing.err).toMatch(/^tributary topics: INVALID_CONFIG: --command-config: cannot read /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('--connections-max-reauth-ms: a client re-authenticates on its connection over TLS', async () => {
    const t = new TcpClientTransport({ bootstrapServers: served.bootstrapServers, tls: { ca: readFileSync(cert, 'utf8') }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'secret' } });
    try {
      while (t.reauthentications < 1) {
        await t.send(-1, { apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: false });
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(t.connectionsOpened).toBe(1);
    } finally {
      await t.close();
    }
  }, 120_000);
});
