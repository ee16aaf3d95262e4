/**
 * Clients in real worker threads against a cluster in this thread, through
 * `cluster.createHandle()` and `connectHandle()`. The workers run TypeScript through tsx
 * (client-worker.mjs registers it): a Worker does not go through vitest's transform.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, connectHandle, isTributaryError, type ClusterHandle } from '../../src/index.js';

const workerFile = new URL('./client-worker.mjs', import.meta.url);
const started: Worker[] = [];

function startWorker(data: Record<string, unknown> & { handle: ClusterHandle }): Worker {
  const w = new Worker(workerFile, { workerData: data, transferList: [data.handle.port] });
  started.push(w);
  return w;
}

/** Resolves once `pred` holds, checking every 50 ms; rejects after `ms` (generous: the machine is loaded). */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Rec {
  key: string;
  value: string;
  partition: number;
  offset: number;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

describe('clients in worker threads', () => {
  it.each(['inline', 'per-node', 'worker'] as const)('threads: %s: two producer workers and a group of two consumer workers, with nodes killed and restarted: every acknowledged record read, per-key order kept', async (threads) => {
    await using cluster = await Cluster.start({ nodes: 3, threads });
    await cluster.admin().createTopics([{ name: 'events', partitions: 6, replicationFactor: 3 }]);
    const acked: Rec[] = [];
    const read = new Map<string, Rec>(); // by partition:offset
    const assigned: { worker: number; generation: number; partitions: number[] }[] = [];
    let producersDone = 0;
    const producerExits: number[] = [];
    const errors: string[] = [];

    const consumers = [0, 1].map((i) => {
      const w = startWorker({ role: 'consume', handle: cluster.createHandle(), topic: 'events', groupId: 'audit' });
      w.on('message', (m: { t: string } & Rec & { generation: number; partitions: number[]; code: string }) => {
        if (m.t === 'record') read.set(`${m.partition}:${m.offset}`, { key: m.key, value: m.value, partition: m.partition, offset: m.offset });
        else if (m.t === 'assigned') assigned.push({ worker: i, generation: m.generation, partitions: m.partitions });
        else if (m.t === 'error') errors.push(m.code);
      });
      w.on('error', (err) => errors.push(String(err)));
      return w;
    });
    for (const [prefix, keys] of [['a', 8], ['b', 8]] as const) {
      const w = startWorker({ role: 'produce', handle: cluster.createHandle(), topic: 'events', keys: Array.from({ length: keys }, (_, k) => `${prefix}${k}`), rounds: 120 });
      w.on('message', (m: { t: string; records?: Rec[] }) => {
        if (m.t === 'acked') acked.push(...m.records!);
        else if (m.t === 'done') producersDone++;
      });
      w.on('exit', (code) => producerExits.push(code));
      w.on('error', (err) => errors.push(String(err)));
    }

    await until(() => acked.length >= 200, 120_000, 'the first acknowledged records');
    cluster.killNode(2);
    await until(() => acked.length >= 600, 120_000, 'records acknowledged with node 2 down');
    await cluster.restartNode(2);
    await until(() => acked.length >= 900, 120_000, 'records acknowledged with node 2 back');
    cluster.killNode(3);
    await until(() => acked.length >= 1200, 120_000, 'records acknowledged with node 3 down');
    await cluster.restartNode(3);
    await until(() => producersDone === 2, 180_000, 'the producers to finish');
    await until(() => acked.every((r) => read.has(`${r.partition}:${r.offset}`)), 180_000, 'every acknowledged record to be read');
    // Closed, a producer worker's port keeps nothing alive: the thread ends by itself.
    await until(() => producerExits.length === 2, 120_000, 'the producer workers to exit by themselves');
    expect(producerExits).toEqual([0, 0]);

    expect(errors).toEqual([]);
    expect(acked.length).toBeGreaterThan(800);
    for (const r of acked) expect(read.get(`${r.partition}:${r.offset}`)).toEqual(r);
    // Per key, the log holds the rounds in order (idempotent producers: no duplicates either).
    const byKey = new Map<string, Rec[]>();
    for (const r of read.values()) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    for (const [, recs] of byKey) {
      recs.sort((x, y) => x.offset - y.offset);
      expect(new Set(recs.map((r) => r.partition)).size).toBe(1);
      const values = recs.map((r) => Number(r.value));
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]!);
    }
    // No partition owned by two members in one generation.
    const owner = new Map<string, number>();
    for (const a of assigned) for (const p of a.partitions) {
      const k = `${a.generation}:${p}`;
      expect(owner.get(k) ?? a.worker).toBe(a.worker);
      owner.set(k, a.worker);
    }
    await Promise.all(consumers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage({ t: 'stop' }); })));
  }, 600_000);

  it('a worker terminated while it holds a producer and a group member: the cluster carries on and the member’s partitions move at once', async () => {
    await using cluster = await Cluster.start({ nodes: 1 });
    await cluster.admin().createTopics([{ name: 'jobs', partitions: 4 }]);
    // A session far longer than the wait below: only the observed exit can move the partitions in time.
    const sessionTimeoutMs = 600_000;
    const mine = cluster.consumerGroup({ groupId: 'workers', topics: ['jobs'], autoOffsetReset: 'earliest', sessionTimeoutMs });
    const seen: string[] = [];
    const running = mine.run({ eachRecord: (r) => void seen.push(Buffer.from(r.value as Uint8Array).toString()) });
    await mine.whenJoined();
    const w = startWorker({ role: 'produce-and-consume', handle: cluster.createHandle(), topic: 'jobs', groupId: 'workers', sessionTimeoutMs });
    const assignedInWorker: number[][] = [];
    w.on('message', (m: { t: string; partitions: number[] }) => {
      if (m.t === 'assigned') assignedInWorker.push(m.partitions);
    });
    await until(() => assignedInWorker.some((p) => p.length > 0), 120_000, 'the worker member to own partitions');
    await until(() => mine.assignment().length < 4, 120_000, 'the main member to give partitions up');
    await w.terminate();
    // The worker's member never sent LeaveGroup; its port closed with the thread, and the
    // cluster left the group on its behalf: the partitions move without waiting out the session.
    await until(() => mine.assignment().length === 4, 120_000, 'the partitions to move back');
    const producer = cluster.producer();
    await producer.send('jobs', [0, 1, 2, 3].map((p) => ({ key: `after-${p}`, value: `after-${p}` })));
    await until(() => seen.filter((v) => v.startsWith('after-')).length === 4, 120_000, 'records produced after the termination');
    expect(seen).toContain('by a worker about to be terminated');
    // The port of the terminated worker was dropped by the cluster.
    expect((cluster as unknown as { portServers: Set<unknown> }).portServers.size).toBe(0);
    await mine.close();
    await running;
  }, 600_000);

  it('bad input across the boundary gets typed errors and never harms the cluster’s thread', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 't' }]);

    // Garbage posted on a handle's port: dropped or answered with a typed error.
    const handle = cluster.createHandle();
    for (const garbage of [null, 42, 'hello', { t: 'req' }, { t: 'req', id: 'x' }, { t: 'nope' }, { t: 'abort', id: 99 }, new Uint8Array(8), { t: 'reqs' }, { t: 'reqs', list: 'x' }, { t: 'reqs', list: [null, 7, { id: 'y' }] }]) {
      handle.port.postMessage(garbage);
    }
    const answers: unknown[] = [];
    handle.port.on('message', (m) => answers.push(m));
    handle.port.postMessage({ t: 'req', id: 1, node: 1, req: { apiKey: 3 } }); // before the handshake
    await until(() => answers.length === 1, 30_000, 'the answer to a request before the handshake');
    expect(answers[0]).toMatchObject({ t: 'err', id: 1, code: 'INVALID_REQUEST' });
    handle.port.removeAllListeners('message');

    // The same handle still connects (in this thread too), once.
    await using remote = await connectHandle(handle);
    const topics = await remote.admin().listTopics();
    expect(topics).toContain('t');
    await expect(connectHandle(handle)).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_REQUEST'));
    await expect(connectHandle({ port: 1 } as never)).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_ARGUMENT'));
    // A request the node refuses arrives as the node's typed error; the connection stays usable.
    await expect(remote.transport.send(1, { apiKey: 9999 } as never)).rejects.toSatisfy((e) => isTributaryError(e));
    const [meta] = await remote.producer().send('t', [{ value: 'still fine' }]);
    expect(meta!.offset).toBe(0);
    // Requests made in one turn cross in one message; one that cannot cross fails alone, typed.
    const burst = Array.from({ length: 20 }, (_, i) => (i === 7 ? remote.transport.send(1, { apiKey: 3, topics: [{ name: 't' }], allowAutoTopicCreation: false, fn: () => {} } as never) : remote.transport.send(1, { apiKey: 3, topics: [{ name: 't' }], allowAutoTopicCreation: false } as never)));
    const settled = await Promise.allSettled(burst);
    expect(settled.map((r) => r.status)).toEqual(settled.map((_, i) => (i === 7 ? 'rejected' : 'fulfilled')));
    expect(isTributaryError((settled[7] as PromiseRejectedResult).reason, 'INVALID_REQUEST')).toBe(true);

    // Posted to a second worker: the port went with the first post.
    const twice = cluster.createHandle();
    const w = startWorker({ role: 'consume', handle: twice, topic: 't', groupId: 'g' });
    expect(() => new Worker(workerFile, { workerData: { role: 'consume', handle: twice }, transferList: [twice.port] })).toThrow();
    await w.terminate();

    // Used after the cluster closed.
    const late = cluster.createHandle();
    await remote.close();
    await cluster.close();
    await expect(connectHandle(late)).rejects.toSatisfy((e) => isTributaryError(e, 'CLIENT_CLOSED'));
    expect(() => cluster.createHandle()).toThrow();
  }, 300_000);
});
