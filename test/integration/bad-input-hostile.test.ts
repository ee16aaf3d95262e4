/**
 * Bad input through the public API, session 13's sweep (bad-input.test.ts holds the
 * earlier ones): each ends in a typed error at the call, never in a TypeError from deep
 * inside or a setting that silently means something else.
 */
import { describe, expect, it } from 'vitest';
import { Cluster, connect, prometheusText } from '../../src/index.js';

const typed = (code: string, more: Record<string, unknown> = {}) => expect.objectContaining({ name: 'TributaryError', code, ...more });

describe('bad input through the public API (session 13)', () => {
  it('listener limits past what a Node timer or a Kafka int32 holds are INVALID_CONFIG (connections.max.idle.ms 2^31 made every connection idle after 1 ms)', async () => {
    for (const [option, value] of [
      ['connectionsMaxIdleMs', 2 ** 31],
      ['connectionsMaxIdleMs', 1e20],
      ['connectionsMaxReauthMs', 1e20],
      ['socketRequestMaxBytes', 2 ** 31],
      ['maxConnections', 1e20],
    ] as const) {
      await expect(Cluster.start({ listen: { port: 0, [option]: value } }), `${option} ${value}`).rejects.toEqual(typed('INVALID_CONFIG', { option }));
    }
    // Kafka's own defaults and maxima are taken.
    const cluster = await Cluster.start({ listen: { port: 0, connectionsMaxIdleMs: 2 ** 31 - 1, maxConnections: 2 ** 31 - 1, socketRequestMaxBytes: 2 ** 31 - 1 } });
    await cluster.close();
  });

  it('a close hook that is not a function is refused at onClose; one that throws does not stop the cluster from closing the rest', async () => {
    const cluster = await Cluster.start();
    expect(() => cluster.onClose(5 as never)).toThrow(typed('INVALID_ARGUMENT'));
    let after = false;
    cluster.onClose(() => {
      throw new Error('a hook that throws at once');
    });
    cluster.onClose(() => {
      after = true;
    });
    const producer = cluster.producer();
    await cluster.close();
    expect(after).toBe(true);
    await expect(producer.send('t', { value: 'x' })).rejects.toEqual(typed('CLIENT_CLOSED'));
  });

  it('connect({ bootstrapServers }) checks its options as every other entry point does: unknown keys (with KafkaJS names pointed home), wrong types, timers past 2^31 - 1 ms', () => {
    const bootstrapServers = '127.0.0.1:9092';
    const refused = (options: Record<string, unknown>, option: string, words: string): void => {
      let err: unknown;
      try {
        connect({ bootstrapServers, ...options } as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(options)).toEqual(typed('INVALID_CONFIG', { option }));
      expect((err as Error).message).toContain(words);
    };
    refused({ foo: 1 }, 'foo', 'foo is not a connection option');
    refused({ requestTimeout: 5000 }, 'requestTimeout', 'requestTimeoutMs');
    refused({ ssl: true }, 'ssl', 'tls');
    refused({ tls: 5 }, 'tls', 'tls must be true, false or node:tls options');
    // A Node timer of 2^31 ms or more fires at once: every request would time out as it is sent.
    refused({ requestTimeoutMs: 1e12 }, 'requestTimeoutMs', 'requestTimeoutMs must be');
    refused({ connectionSetupTimeoutMs: 2 ** 31 }, 'connectionSetupTimeoutMs', 'connectionSetupTimeoutMs must be');
    refused({ clock: {} }, 'clock', 'clock must be a Clock');
    // What is right is taken (no connection is made until a client asks).
    const remote = connect({ bootstrapServers, tls: false, requestTimeoutMs: 2 ** 31 - 1, clientId: 'ok' });
    return remote.close();
  });

  it('prometheusText given something other than metrics() snapshots is INVALID_ARGUMENT, not a TypeError or a silent empty text', async () => {
    for (const bad of [null, 5, {}, { kind: 'broker' }]) expect(() => prometheusText(bad as never), String(bad)).toThrow(typed('INVALID_ARGUMENT', { option: 'snapshots' }));
    await using cluster = await Cluster.start();
    expect(prometheusText(cluster.metrics())).toContain('# TYPE tributary_records_in_total counter');
  });
});
