/**
 * kcat 1.7.1 (Debian; librdkafka 2.0.2) against a 3-node cluster with listeners:
 * metadata (`-L`), producing with every compression codec (`-P -z`), consuming from the
 * beginning and from a timestamp (`-C -o s@TS`), to a LogAppendTime topic, a balanced consumer group of two
 * (`-G`), keys and headers (`-K`, `-H`), offsets (`-o -N`, `-o N`, `-o end`, `-c`), `-Q` and
 * a group with a regex subscription. librdkafka 2.0.2 is the client with the version traps (wire.md §1.3): a
 * compressed batch that arrives uncompressed, or a group consumer that never starts,
 * fails here.
 */
import { describe, expect, it } from 'vitest';
import { eventually, kcat, kcatBase, requireClients, runKcat, start, type Running } from './helpers/clients.js';
import { clusterForFile, readAll, storedCodecs, text, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
let b: string;
clusterForFile(
  { nodes: 3 },
  (c) => {
    cluster = c;
    b = c.bootstrapServers;
  },
  requireClients,
);

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
}

const codecIds = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

describe('kcat over the wire, 3 nodes', { timeout: 300_000 }, () => {
  it('-L lists the brokers at their real addresses and a topic with its leaders', async () => {
    await cluster.admin().createTopics([{ name: 'kcat-meta', partitions: 3, replicationFactor: 3 }]);
    const md = JSON.parse(await runKcat(kcatBase(b, ['-L', '-J', '-t', 'kcat-meta']))) as KcatMetadata;
    expect(md.brokers.map((x) => x.id).sort()).toEqual([1, 2, 3]);
    expect(md.brokers.map((x) => x.name).sort()).toEqual(b.split(',').sort());
    const t = md.topics.find((x) => x.topic === 'kcat-meta')!;
    expect(t.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    const [own] = await cluster.admin().describeTopics(['kcat-meta']);
    for (const p of t.partitions) {
      expect(p.leader).toBe(own!.partitions[p.partition]!.leader);
      expect(p.replicas.map((r) => r.id).sort()).toEqual([1, 2, 3]);
      expect(p.isrs.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    }
  });

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`-P -z ${codec}: the batches reach the log compressed, and every record reads back`, async () => {
      const topic = `kcat-${codec}`;
      await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
      // Repetitive values, so that compressing shrinks the batch (librdkafka sends a batch
      // uncompressed when compression does not make it smaller).
      const lines = Array.from({ length: 300 }, (_, i) => `key${i % 10}:${codec}-${i}-${'abcdefghij'.repeat(8)}`);
      await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '0', '-K', ':', '-z', codec, '-X', 'linger.ms=50']), { input: `${lines.join('\n')}\n` });
      const records = await readAll(cluster, topic);
      expect(records.map((r) => `${text(r.key)}:${text(r.value)}`)).toEqual(lines);
      const [desc] = await cluster.admin().describeTopics([topic]);
      const stored = storedCodecs(cluster, desc!.partitions[0]!.leader, topic, 0);
      expect(stored.length).toBeGreaterThan(0);
      expect(new Set(stored)).toEqual(new Set([codecIds[codec]]));
      // And on a follower, as replicated: the same bytes, still compressed.
      await eventually('the followers to hold every batch', () => {
        for (const r of desc!.partitions[0]!.replicas) if (storedCodecs(cluster, r, topic, 0).length !== stored.length) return undefined;
        return true;
      });
      // kcat reads its own records back (it decompresses what the broker sends as stored).
      const back = await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k:%s\\n']));
      expect(back.trim().split('\n')).toEqual(lines);
    });
  }

  it('-C from the beginning and from a timestamp', async () => {
    const topic = 'kcat-consume';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
    const producer = cluster.producer({ acks: 'all' });
    const t0 = Date.now() - 600_000;
    await producer.send(topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: t0 + i * 1000 })));
    const all = await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o %T %k %s\\n']));
    expect(all.trim().split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `${i} ${t0 + i * 1000} k${i} v${i}`));
    // s@TS: the first record whose timestamp is at or after TS (ListOffsets v1+).
    const fromTs = await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', `s@${t0 + 12_500}`, '-e', '-f', '%o %s\\n']));
    expect(fromTs.trim().split('\n')).toEqual(Array.from({ length: 7 }, (_, i) => `${13 + i} v${13 + i}`));
    // A relative start, and an end offset.
    const tail = await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', '-3', '-e', '-f', '%o\\n']));
    expect(tail.trim().split('\n')).toEqual(['17', '18', '19']);
  });

  it('-P to a topic with message.timestamp.type=LogAppendTime: each line once, stamped with the broker\'s wall clock', async () => {
    // The produce response carries the stamp (logAppendTimeMs): a stamp that was not a
    // wall-clock int64 closed the connection, and kcat sent the batch again and again.
    const topic = 'kcat-log-append-time';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3, configs: { 'message.timestamp.type': 'LogAppendTime' } }]);
    const before = Date.now();
    await runKcat(kcatBase(b, ['-P', '-t', topic, '-X', 'message.timeout.ms=60000', '-X', 'retries=2']), { input: 'a\nb\nc\n' });
    const after = Date.now();
    const back = (await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o %T %s\n']))).trim().split('\n');
    expect(back.map((l) => l.replace(/ \d+ /, ' '))).toEqual(['0 a', '1 b', '2 c']);
    for (const line of back) {
      const ts = Number(line.split(' ')[1]);
      expect(ts).toBeGreaterThanOrEqual(before);
      expect(ts).toBeLessThanOrEqual(after);
    }
  });

  it('-G: two members share a topic, balanced, and commit what they read', async () => {
    const topic = 'kcat-group';
    const group = 'kcat-group-1';
    await cluster.admin().createTopics([{ name: topic, partitions: 4, replicationFactor: 3 }]);
    const producer = cluster.producer({ acks: 'all' });
    for (let p = 0; p < 4; p++) await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })));
    const member = (): Running =>
      start(kcat, kcatBase(b, ['-G', group, topic, '-o', 'beginning', '-u', '-f', '%p %o %s\\n', '-X', 'session.timeout.ms=30000', '-X', 'heartbeat.interval.ms=500', '-X', 'auto.commit.interval.ms=200']), { timeoutMs: 300_000 });
    // -u: unbuffered output, so that what a member consumed shows before it exits.
    // kcat prints each assignment on stderr: "% Group kcat-group-1 rebalanced (memberid ...): assigned: kcat-group [0], kcat-group [1]".
    // Only whole lines count: with -u kcat writes a line in pieces, and a loaded machine hands
    // the test a piece ("2 5 p2-", or an assignment cut after its first partitions) that
    // counted as a record (or an assignment) of its own.
    const whole = (out: string): string[] => out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
    const assigned = (m: Running): number[] | undefined => {
      const lines = whole(m.stderr()).filter((l) => l.includes('rebalanced') && l.includes('assigned'));
      const last = lines[lines.length - 1];
      return last === undefined ? undefined : [...last.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort();
    };
    const consumed = (m: Running): Set<string> => new Set(whole(m.stdout()));
    const first = member();
    const second = member();
    try {
      await eventually(
        'a balanced group of two',
        () => {
          const a = assigned(first);
          const c = assigned(second);
          if (!a || !c || a.length !== 2 || c.length !== 2) return undefined;
          // Each member's latest assignment: two partitions each, all four between them.
          return new Set([...a, ...c]).size === 4 ? true : undefined;
        },
        180_000,
        200,
      );
      await eventually('every record consumed by one member or the other', () => (new Set([...consumed(first), ...consumed(second)]).size >= 40 ? true : undefined), 120_000);
      const all = new Set([...consumed(first), ...consumed(second)]);
      for (let p = 0; p < 4; p++) for (let i = 0; i < 10; i++) expect(all).toContain(`${p} ${i} p${p}-${i}`);
      // The auto-commits reach every partition's end.
      await eventually(
        'committed offsets at 10 on every partition',
        async () => {
          const { offsets } = await cluster.admin().describeGroup(group);
          return offsets.length === 4 && offsets.every((o) => o.committed === 10) ? true : undefined;
        },
        120_000,
        500,
      );
    } finally {
      first.child.kill('SIGTERM');
      second.child.kill('SIGTERM');
      await Promise.all([first.done, second.done]);
    }
  });

  it('-P -K with -H headers, and -C with -o -N, -o N, -o end, -c and -e; -Q by time, beginning and end; -G with a regex subscription', async () => {
    const topic = 'kcat-keys';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
    // "k:" is an empty value and ":v" an empty key (zero bytes, not null), as kcat sends them.
    await runKcat(kcatBase(b, ['-P', '-t', topic, '-K', ':', '-H', 'a=1', '-H', 'b=', '-X', 'linger.ms=0']), { input: 'k1:v1\nk2:v2\n:v3\nk4:\n' });
    const all = await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o|%k|%s|%K|%S|%h\n']));
    expect(all.trim().split('\n')).toEqual(['0|k1|v1|2|2|a=1,b=', '1|k2|v2|2|2|a=1,b=', '2||v3|0|2|a=1,b=', '3|k4||2|0|a=1,b=']);
    const own = await readAll(cluster, topic);
    expect(own.map((r) => [text(r.key), text(r.value), r.headers.map((h) => `${h.key}=${text(h.value)}`).join()])).toEqual([
      ['k1', 'v1', 'a=1,b='],
      ['k2', 'v2', 'a=1,b='],
      ['', 'v3', 'a=1,b='],
      ['k4', '', 'a=1,b='],
    ]);

    const offsets = async (args: string[]): Promise<string[]> => (await runKcat(kcatBase(b, ['-C', '-t', topic, ...args, '-f', '%o\n']))).split('\n').filter(Boolean);
    expect(await offsets(['-o', '-2', '-e'])).toEqual(['2', '3']);
    expect(await offsets(['-o', '1', '-e'])).toEqual(['1', '2', '3']);
    expect(await offsets(['-o', 'beginning', '-c', '2'])).toEqual(['0', '1']);
    expect(await offsets(['-o', 'end', '-e'])).toEqual([]);

    // -Q: -1 is the end, -2 the beginning, a time after every record -1 (none).
    const q = await runKcat(kcatBase(b, ['-Q', '-t', `${topic}:0:-1`]));
    expect(q).toContain(`${topic} [0] offset 4`);
    expect(await runKcat(kcatBase(b, ['-Q', '-t', `${topic}:0:-2`]))).toContain(`${topic} [0] offset 0`);
    const year2100 = 4_102_444_800_000;
    expect(await runKcat(kcatBase(b, ['-Q', '-t', `${topic}:0:${year2100}`]))).toContain(`${topic} [0] offset -1`);

    // -G with a regex: the group subscribes to every topic the pattern matches (found in the metadata).
    // -u: unbuffered output (a pipe is otherwise flushed only at exit); only whole lines count.
    const member = start(kcat, kcatBase(b, ['-G', 'kcat-regex', '^kcat-key.*', '-u', '-f', '%t %o\n', '-X', 'auto.offset.reset=earliest']), { timeoutMs: 240_000 });
    const lines = (): string[] => member.stdout().slice(0, member.stdout().lastIndexOf('\n') + 1).split('\n').filter(Boolean);
    try {
      await eventually('the regex member to read the topic', () => (lines().length >= 4 ? true : undefined), 120_000);
      expect(lines()).toEqual([0, 1, 2, 3].map((o) => `${topic} ${o}`));
    } finally {
      member.child.kill('SIGTERM');
      await member.done;
    }
  });
});
