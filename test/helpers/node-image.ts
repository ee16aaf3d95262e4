import type { Cluster } from '../../src/cluster.js';

/**
 * Waits until `check` holds, checking again after each metadata image node 1 applies (a
 * node answers from its image, which follows the controller's commit a moment later):
 * an event, not a wall-clock poll. Listens before it checks, so an image applied
 * meanwhile is never missed. Inline clusters only (node 1's objects are in this thread).
 */
export async function untilNodeImage(cluster: Cluster, what: string, check: () => Promise<boolean>): Promise<void> {
  for (let images = 0; images < 1000; images++) {
    let off = (): void => {};
    const next = new Promise<void>((resolve) => (off = cluster.node(1)!.metadata.onImage(() => resolve())));
    try {
      if (await check()) return;
      await next;
    } finally {
      off();
    }
  }
  throw new Error(`gave up waiting for ${what} after 1,000 metadata images`);
}
