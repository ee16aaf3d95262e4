/**
 * A wire client's group request waits (up to 10 s) for its coordinator to load before it
 * is answered COORDINATOR_LOAD_IN_PROGRESS (group-shell.ts, `awaitLoad`). When the
 * client's connection drops mid-wait, the wait ends at once: its wake-up and timer are
 * dropped, and the request is not handed to the coordinator. Real sockets on 127.0.0.1,
 * time simulated (the coordinator here never loads: its tick, and the wait, are an hour).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { ApiKey } from '../protocol/api-keys.js';
import { TcpClientTransport } from '../transport/tcp/client.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';
import { groupShellOf, installGroupShell } from './group-shell.js';

const sim = useSimulatedClock();
const { clock } = sim;

describe('a group request waiting for its coordinator to load', () => {
  it('is released with its timer when its client disconnects mid-wait, and not before', { timeout: 120_000 }, async () => {
    const start = Cluster.start as (o: object) => Promise<Cluster & { bootstrapServers: string }>;
    await using cluster = await start({ nodes: 1, clock, listen: { port: 0 } });
    const broker = cluster.node(1)!.broker;
    groupShellOf(broker)!.close();
    // A coordinator that never starts loading: its tick, which starts the load, is an hour away.
    const shell = installGroupShell(broker, { clock, config: { tickIntervalMs: 3_600_000, loadWaitMs: 3_600_000 } });
    const find = await broker.handle({ apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: ['g'] });
    expect(find.coordinators[0]!.errorCode).toBe('NONE');

    const join = (groupId: string) => ({ apiKey: ApiKey.JoinGroup, groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array([0, 1]) }] }) as const;
    await sim.sleep(50);
    const timersBefore = clock.pendingTimers();
    const clients = Array.from({ length: 8 }, () => new TcpClientTransport({ bootstrapServers: cluster.bootstrapServers, requestTimeoutMs: 600_000 }));
    // Each learns node 1's address (and connects) first.
    for (const t of clients) await t.send(-1, { apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: false });
    const answers = clients.map((t, i) => t.send(1, join(`g${i}`)).then(
      (r) => r.errorCode as string,
      () => 'failed',
    ));
    await sim.until('eight requests waiting for the load', () => shell.loadWaits === 8);
    // Each waits on one wake-up with one timer.
    expect(clock.pendingTimers()).toBeGreaterThanOrEqual(timersBefore + 8);

    // Seven clients drop mid-wait; their waits end at once (not at the 100 ms poll, not at 10 s).
    for (const t of clients.slice(1)) await t.close();
    await sim.until('the dropped clients’ waits released', () => shell.loadWaits === 1, 5_000);
    expect(clock.pendingTimers()).toBeLessThanOrEqual(timersBefore + 1 + 2);
    expect((await Promise.all(answers.slice(1))).every((a) => a === 'failed')).toBe(true);

    // The one that stayed still waits; it goes when its client does.
    expect(shell.loadWaits).toBe(1);
    await clients[0]!.close();
    await sim.until('the last wait released', () => shell.loadWaits === 0, 5_000);
    expect(await answers[0]).toBe('failed');
    expect(clock.pendingTimers()).toBeLessThanOrEqual(timersBefore + 2);
  });
});
