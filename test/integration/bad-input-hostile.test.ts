/**
 * Bad input through the public API, session 13's sweep (bad-input.test.ts holds the
 * earlier ones): each ends in a typed error at the call, never in a TypeError from deep
 * inside or a setting that silently means something else.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

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
});
