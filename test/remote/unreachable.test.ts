/**
 * A client pointed at an address where nothing listens: the error it gives at its timeout
 * says that no node answered and why (the refused connection), not only that a topic was
 * missing or that a call took too long. Real sockets on 127.0.0.1; the timeouts are short
 * bounds the client keeps itself, nothing here is timed.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect, isTributaryError } from '../../src/index.js';

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a client whose cluster cannot be reached', () => {
  it('a send fails at maxBlockMs naming the refused connection; an admin call at its timeout the same', async () => {
    const port = await closedPort();
    await using remote = connect({ bootstrapServers: `127.0.0.1:${port}` });
    const sent = await remote
      .producer({ maxBlockMs: 5000 })
      .send('orders', [{ value: 'x' }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTributaryError(sent, 'UNKNOWN_TOPIC_OR_PARTITION')).toBe(true);
    expect((sent as Error).message).toMatch(/no node answered/);
    expect((sent as Error).message).toMatch(/ECONNREFUSED/);
    expect((sent as Error).message).toContain(`127.0.0.1:${port}`);

    const listed = await remote
      .admin({ requestTimeoutMs: 5000 })
      .listTopics()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTributaryError(listed, 'REQUEST_TIMED_OUT')).toBe(true);
    expect((listed as Error).message).toMatch(/no node answered its last request \(.*ECONNREFUSED/);
  }, 60_000);
});
