import { MessageChannel } from 'node:worker_threads';
import { InlineTransport } from './inline.js';
import { PortServer } from './port/port-server.js';
import { PortTransport } from './port/port-transport.js';
import { transportContract } from './transport-contract.js';
import { makeLogger } from '../util/logger.js';

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
