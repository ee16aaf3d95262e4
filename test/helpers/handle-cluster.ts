import { afterEach, beforeEach } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { connectHandle, type ConnectedCluster } from '../../src/connect-handle.js';

/**
 * For each test of the calling `describe`: an ephemeral 1-node cluster with a topic `t` of
 * 4 partitions, and a client connected to it through a handle (`createHandle()` then
 * `connectHandle` in this thread: the `MessagePort` path a worker takes); both closed after
 * the test.
 */
export function useHandleCluster(): { cluster: () => Cluster; remote: () => ConnectedCluster } {
  let cluster: Cluster | undefined;
  let remote: ConnectedCluster | undefined;
  beforeEach(async () => {
    cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 't', partitions: 4 }]);
    remote = await connectHandle(cluster.createHandle());
  });
  afterEach(async () => {
    await remote?.close();
    await cluster?.close();
    remote = undefined;
    cluster = undefined;
  });
  return { cluster: () => cluster!, remote: () => remote! };
}
