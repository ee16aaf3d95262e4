// Run: npx tsx bench/group-expiry-check.ts GROUPS MEMBERS TOPICS (results: bench/results/2026-12-08a-kjs.md).
// One offset-expiry check of a coordinator holding G Stable consumer groups of M static
// members (subscriptions of T topics each), every group with T committed offsets (all of
// subscribed topics, so nothing expires): CPU time of the tick that runs the check, per
// group. Before session 13 that check skipped Stable groups.
import { GroupCoordinator } from '../src/broker/core/group-coordinator.js';
import { ApiKey } from '../src/protocol/api-keys.js';
import { Rng } from '../src/util/rng.js';
const [G, M, T] = process.argv.slice(2).map(Number) as [number, number, number];
const topics = Array.from({ length: T }, (_, i) => `topic-${i}`);
const enc = (ts: string[]): Uint8Array => { const parts: number[] = [0, 0, 0, 0, 0, ts.length]; for (const t of ts) parts.push(0, t.length, ...Buffer.from(t)); parts.push(0xff, 0xff, 0xff, 0xff); return new Uint8Array(parts); };
const meta = enc(topics);
const c = new GroupCoordinator({ rng: new Rng(1), config: { offsetsRetentionCheckIntervalMs: 1000, groupMaxSessionTimeoutMs: 1e9, groupMaxSize: 1000 } });
c.loadFrom([], 0);
let id = 1; const now = 1;
const replay = (out: any) => { for (const r of out.records) c.replay(r); return out; };
for (let g = 0; g < G; g++) {
  const gid = `group-${g}`;
  const joins: any[] = [];
  for (let m = 0; m < M; m++) {
    const req = { apiKey: ApiKey.JoinGroup, groupId: gid, sessionTimeoutMs: 1e8, rebalanceTimeoutMs: 1e8, memberId: '', groupInstanceId: `i${m}`, protocolType: 'consumer', protocols: [{ name: 'range', metadata: meta }] } as any;
    joins.push(...replay(c.handle(id++, req, now)).replies);
  }
  // Everyone who got an answer (a completed phase) rejoins until one phase holds all M.
  for (let round = 0; round < 10 && c.groupState(gid) !== 'CompletingRebalance'; round++) {
    const ids = [...new Set(joins.map((r: any) => r.response.memberId).filter(Boolean))];
    joins.length = 0;
    ids.forEach((mid, i) => joins.push(...replay(c.handle(id++, { apiKey: ApiKey.JoinGroup, groupId: gid, sessionTimeoutMs: 1e8, rebalanceTimeoutMs: 1e8, memberId: mid, groupInstanceId: `i${i}`, protocolType: 'consumer', protocols: [{ name: 'range', metadata: meta }] } as any, now)).replies));
  }
  const done = joins.map((r: any) => r.response).filter((r: any) => r.errorCode === 'NONE');
  const leader = done[0].leader; const gen = done[0].generationId;
  const members = done.find((r: any) => r.members.length > 0).members;
  replay(c.handle(id++, { apiKey: ApiKey.SyncGroup, groupId: gid, generationId: gen, memberId: leader, groupInstanceId: members.find((m: any) => m.memberId === leader).groupInstanceId, assignments: members.map((m: any) => ({ memberId: m.memberId, assignment: new Uint8Array(0) })) } as any, now));
  replay(c.handle(id++, { apiKey: ApiKey.OffsetCommit, groupId: gid, generationId: gen, memberId: leader, groupInstanceId: members.find((m: any) => m.memberId === leader).groupInstanceId, topics: topics.map((t) => ({ name: t, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] })) } as any, now));
}
let stable = 0;
for (let g = 0; g < G; g++) if (c.groupState(`group-${g}`) === 'Stable') stable++;
let t = now;
const withCheck: number[] = [];
const without: number[] = [];
for (let i = 0; i < 9; i++) {
  for (const [step, into] of [[1001, withCheck], [1, without]] as const) {
    t += step;
    const t0 = process.cpuUsage();
    const out = c.tick(t);
    const d = process.cpuUsage(t0);
    if (out.records.length !== 0) throw new Error('something expired');
    into.push((d.user + d.system) / G);
  }
}
const med = (xs: number[]) => +[...xs].sort((a, b) => a - b)[4]!.toFixed(3);
console.log(JSON.stringify({ groups: G, stable, members: M, topics: T, offsets: c.committedOffsets('group-0').length, usPerGroupTickWithCheck: med(withCheck), usPerGroupTickWithout: med(without) }));
