/**
 * A request a Kafka listener relays to a node in a worker carries its client's connection
 * signal across the port: the handler in the worker gets a `RequestContext.signal` of its
 * own, aborted when the client's connection closes (the relaying side aborts the request)
 * or when the port goes, so a handler that waits (a group request waiting for its
 * coordinator to load) stops there too. A request of an in-process client gets none.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../broker/request-context.js';
import { silentLogger } from '../../util/logger.js';
import { PortServer } from './port-server.js';
import { PortTransport } from './port-transport.js';

describe('a relayed request’s signal across a MessagePort', () => {
  it('aborts the handler’s signal when the client’s connection closes, and when the port goes', async () => {
    const { port1, port2 } = new MessageChannel();
    const seen: (RequestContext | undefined)[] = [];
    const handler = {
      handle: (_request: unknown, context?: RequestContext) => {
        seen.push(context);
        // Answers only once its client is gone (a wait with nobody left to answer).
        return new Promise((resolve) => (context?.signal ? context.signal.addEventListener('abort', () => resolve({ apiKey: 18, errorCode: 'NONE' })) : resolve({ apiKey: 18, errorCode: 'NONE' })));
      },
    };
    new PortServer(port1, (id) => (id === 1 ? (handler as never) : undefined), silentLogger, () => {}, true);
    const transport = new PortTransport(port2, [1], undefined, { clientId: 'listener', clientHost: 'thread' });
    await transport.ready;

    const connection = new AbortController();
    const wire: RequestContext = { listenerName: 'PLAINTEXT', clientId: 'kcat', clientHost: '/127.0.0.1', principal: null, signal: connection.signal };
    const relayed = transport.sendAs(1, { apiKey: 18 } as never, wire).then(
      () => 'answered',
      () => 'aborted',
    );
    const inProcess = await transport.send(1, { apiKey: 18 } as never);
    expect(inProcess).toEqual({ apiKey: 18, errorCode: 'NONE' });
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setImmediate(r));
    const [first, second] = seen;
    const ctx = first?.listenerName === 'PLAINTEXT' ? first : second;
    expect(ctx).toMatchObject({ listenerName: 'PLAINTEXT', clientId: 'kcat', clientHost: '/127.0.0.1' });
    expect(ctx!.signal).toBeInstanceOf(AbortSignal);
    expect(ctx!.signal!.aborted).toBe(false);
    expect((first === ctx ? second : first)!.signal).toBeUndefined();

    connection.abort();
    expect(await relayed).toBe('aborted');
    for (let i = 0; i < 100 && !ctx!.signal!.aborted; i++) await new Promise((r) => setImmediate(r));
    expect(ctx!.signal!.aborted).toBe(true);

    // One still waiting when the port goes is aborted too.
    const later = new AbortController();
    void transport.sendAs(1, { apiKey: 18 } as never, { ...wire, signal: later.signal }).catch(() => undefined);
    for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setImmediate(r));
    const third = seen[2]!;
    expect(third.signal!.aborted).toBe(false);
    await transport.close();
    for (let i = 0; i < 100 && !third.signal!.aborted; i++) await new Promise((r) => setImmediate(r));
    expect(third.signal!.aborted).toBe(true);
  });
});
