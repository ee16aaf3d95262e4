/**
 * The request context reaches the group coordinator: JoinGroup records the client id and
 * host a wire request came with (DescribeGroups shows them), and a Heartbeat from a wire
 * client is answered at once, as Kafka's coordinator answers, while one from a client in
 * this process may be held until the group changes.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import { groupShellOf, installGroupShell } from './group-shell.js';
import type { RequestContext } from './request-context.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';

// On simulated time: the coordinator's load and the held heartbeat run in the clock's time.
const sim = useSimulatedClock();
const { clock } = sim;

const wire: RequestContext = { listenerName: 'PLAINTEXT', clientId: 'billing-service', clientHost: '/10.1.2.3', principal: null };

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = clock.monotonic() + timeoutMs;
  for (;;) {
    const t = await fn();
    if (ok(t)) return t;
    if (clock.monotonic() > deadline) throw new Error(`gave up on ${what}: ${JSON.stringify(t)}`);
    await sim.sleep(20);
  }
}

describe('request context', () => {
  it('names a wire member by its client id and host, and never holds its heartbeat', async () => {
    await using cluster = await Cluster.start({ nodes: 1, clock });
    const broker = cluster.node(1)!.broker;
    // A coordinator that holds in-process heartbeats for a minute unless the group changes.
    groupShellOf(broker)!.close();
    installGroupShell(broker, { clock, config: { heartbeatHoldMs: 60_000 } });
    const groupId = 'ctx-group';
    await eventually('a coordinator', () => broker.handle({ apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [groupId] }), (r) => r.coordinators[0]!.errorCode === 'NONE');
    const join = (memberId: string): P.JoinGroupRequest => ({ apiKey: ApiKey.JoinGroup, groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 1_000, memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array([0, 1]) }] });
    let joined = await eventually('a join', () => broker.handle(join(''), wire), (r) => r.errorCode === 'NONE' || r.errorCode === 'MEMBER_ID_REQUIRED');
    if (joined.errorCode === 'MEMBER_ID_REQUIRED') joined = await broker.handle(join(joined.memberId), wire);
    expect(joined.errorCode).toBe('NONE');
    const sync = await broker.handle({ apiKey: ApiKey.SyncGroup, groupId, generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: new Uint8Array([7]) }] }, wire);
    expect(sync.errorCode).toBe('NONE');

    const described = await broker.handle({ apiKey: ApiKey.DescribeGroups, groups: [groupId] }, wire);
    expect(described.groups[0]!.members.map((m) => [m.clientId, m.clientHost])).toEqual([['billing-service', '/10.1.2.3']]);

    const heartbeat: P.HeartbeatRequest = { apiKey: ApiKey.Heartbeat, groupId, generationId: joined.generationId, memberId: joined.memberId };
    let inlineAnswered = false;
    const inline = broker.handle(heartbeat).then((r) => {
      inlineAnswered = true;
      return r;
    });
    // The wire heartbeat comes back while the in-process one is still held.
    const fromWire = await broker.handle(heartbeat, wire);
    expect(fromWire.errorCode).toBe('NONE');
    expect(inlineAnswered).toBe(false);
    // A change to the group (the member leaves) answers the held one.
    await broker.handle({ apiKey: ApiKey.LeaveGroup, groupId, members: [{ memberId: joined.memberId, groupInstanceId: null }] }, wire);
    expect((await inline).errorCode).not.toBe(undefined);
  }, 60_000);
});
