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

/**
 * Resolves once every node's broker has `topic` in its metadata image. Brokers learn a new
 * topic from the metadata log each on its own fetch after the controller commits it, as in
 * KRaft (Kafka's own tests wait the same way: `ensureConsistentKRaftMetadata`); KafkaJS's
 * `createTopics({ waitForLeaders })` waits only for the broker that created it, and its
 * `fetchTopicMetadata` (and admin calls built on it, `setOffsets`) ask any connected
 * broker and do not retry UNKNOWN_TOPIC_OR_PARTITION. Waits on the nodes' image events,
 * never on a timer. Inline clusters only.
 */
export async function everyNodeKnows(cluster: Cluster, topic: string): Promise<void> {
  await Promise.all(
    cluster.nodeIdList.map(
      (id) =>
        new Promise<void>((resolve) => {
          const node = cluster.node(id)!;
          const off = node.metadata.onImage((image) => {
            if (image.topic(topic) === undefined) return;
            off();
            resolve();
          });
          if (node.broker.metadataImage?.topic(topic) !== undefined) {
            off();
            resolve();
          }
        }),
    ),
  );
}
