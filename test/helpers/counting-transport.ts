import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Transport } from '../../src/transport/transport.js';

/** A transport that counts the ListOffsets requests sent to each node, passing everything on to `inner`. */
export function countingListOffsets(inner: Transport): { transport: Transport; perNode: Map<number, number> } {
  const perNode = new Map<number, number>();
  const transport: Transport = {
    bootstrapNodes: () => inner.bootstrapNodes(),
    send: (nodeId, request, options) => {
      if (request.apiKey === ApiKey.ListOffsets) perNode.set(nodeId, (perNode.get(nodeId) ?? 0) + 1);
      return inner.send(nodeId, request, options);
    },
    close: async () => {},
  };
  return { transport, perNode };
}
