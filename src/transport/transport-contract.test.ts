import { MessageChannel } from 'node:worker_threads';
import { InlineTransport } from './inline.js';
import { PortServer } from './port/port-server.js';
import { PortTransport } from './port/port-transport.js';
import { transportContract } from './transport-contract.js';
import { makeLogger } from '../util/logger.js';
import { ApiKey } from '../protocol/api-keys.js';
import { KafkaListener } from './tcp/listener.js';
import { TcpClientTransport } from './tcp/client.js';

transportContract('inline', async (handlers) => {
  const t = new InlineTransport();
  for (const [id, h] of handlers) t.setNode(id, h);
  return { transport: t, teardown: () => t.close() };
});

transportContract('MessagePort', async (handlers) => {
  const { port1, port2 } = new MessageChannel();
  const server = new PortServer(port1, (id) => handlers.get(id), makeLogger(undefined, 'error'), () => {});
  const t = new PortTransport(port2, [1, 2, 3], undefined, { clientId: 'contract', clientHost: 'same-thread' });
  await t.ready;
  return {
    transport: t,
    teardown: async () => {
      await t.close();
      server.close();
    },
  };
});

/**
 * The TCP client against Kafka listeners, one per node, whose brokers are the handlers. A
 * bootstrap listener answers the first Metadata request with the nodes' addresses, as a
 * cluster's does, so the transport learns nodes 1..3 by id; a node without a handler is
 * named nowhere, so it is unreachable.
 */
transportContract(
  'TCP client',
  async (handlers) => {
    const listeners = new Map<number, KafkaListener>();
    for (const [id, h] of handlers) {
      const listener = new KafkaListener({ port: 0, handler: () => h });
      await listener.listen();
      listeners.set(id, listener);
    }
    const brokers = [...listeners].map(([nodeId, l]) => ({ nodeId, host: l.host, port: l.port, rack: null }));
    const bootstrap = new KafkaListener({
      port: 0,
      handler: () => ({
        handle: (async () => ({ apiKey: ApiKey.Metadata, brokers, clusterId: 'contract', controllerId: -1, topics: [], throttleTimeMs: 0 })) as never,
      }),
    });
    await bootstrap.listen();
    const t = new TcpClientTransport({ bootstrapServers: bootstrap.address, clientId: 'contract', reconnectBackoffMs: 0 });
    await t.send(-1, { apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: false });
    return {
      transport: t,
      teardown: async () => {
        await t.close();
        await Promise.all([bootstrap, ...listeners.values()].map((l) => l.close()));
      },
    };
  },
  { wire: true },
);
