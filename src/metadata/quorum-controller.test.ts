import { describe, expect, it } from 'vitest';
import type { Entry } from '../raft/core/kraft.js';
import { Rng } from '../util/rng.js';
import { randomUuid } from '../util/uuid.js';
import { QuorumController, type RaftView } from './quorum-controller.js';
import type { ControllerRequest } from './requests.js';

/**
 * The controller's own work is not bound by one metadata log entry (Kafka writes a
 * non-atomic ControllerResult in several batches): fencing or unfencing a broker that
 * leads more partitions than one entry's records can change is split across entries,
 * where refusing it (as a user's operation is refused) would leave the broker fenced for
 * good (a 100,000-partition node never registered again after a restart).
 */
describe('QuorumController: results past one entry', () => {
  const entryBytesMax = 2_000;

  /** A controller on a one-node Raft log that commits every proposal at once. */
  function committing() {
    const qc = new QuorumController(new Rng(1), { entryBytesMax, metadataMaxIdleIntervalMs: 0, brokerSessionTimeoutMs: 9_000 });
    const log: Entry[] = [];
    const raft: RaftView = {
      leaderReady: true,
      propose: (data) => {
        log.push({ offset: log.length, epoch: 1, data });
        return { offset: log.length - 1, epoch: 1 };
      },
    };
    qc.sync(raft, 0, 0);
    expect(qc.isActive).toBe(true);
    const commit = (): void => qc.applyCommitted(log.slice(qc.appliedEndOffset));
    const submit = (request: ControllerRequest, now = 0): unknown => {
      const r = qc.submit(raft, request, now);
      commit();
      if ('outcome' in r) return r.outcome;
      return qc.takeAnswered().find((a) => a.ticket === r.ticket)!.outcome;
    };
    return { qc, raft, log, commit, submit };
  }

  it('fences and unfences a broker whose partitions take several entries, each within the bound, and answers once all commit', () => {
    const { qc, raft, log, commit, submit } = committing();
    const reg = submit({ type: 'BrokerRegistration', brokerId: 0, incarnationId: randomUuid(new Rng(2)), listeners: [] }) as { ok: true; response: { brokerEpoch: number } };
    const brokerEpoch = reg.response.brokerEpoch;
    expect(submit({ type: 'BrokerHeartbeat', brokerId: 0, brokerEpoch, currentMetadataOffset: 0 })).toMatchObject({ ok: true, response: { isFenced: false } });
    // 40 topics of 10 partitions, each request far within one entry.
    for (let t = 0; t < 40; t++) expect(submit({ type: 'CreateTopics', topics: [{ name: `t${t}`, numPartitions: 10, replicationFactor: 1 }] })).toMatchObject({ ok: true, response: { topics: [{ errorCode: 'NONE' }] } });
    const leading = (): number => [...Array(40).keys()].reduce((n, t) => n + qc.image.topic(`t${t}`)!.partitions.filter((p) => p.leader === 0).length, 0);
    expect(leading()).toBe(400);

    // The session runs out: the tick fences the broker, moving all 400 partitions off it.
    const before = log.length;
    const outcome = qc.tick(raft, 60_000);
    commit();
    expect(outcome?.fencedBrokers).toEqual([0]);
    const fenceEntries = log.slice(before);
    expect(fenceEntries.length).toBeGreaterThan(1);
    for (const e of fenceEntries) expect(e.data!.length).toBeLessThanOrEqual(entryBytesMax);
    expect(leading()).toBe(0);

    // It comes back: the heartbeat that unfences it elects it for all 400 again, in several entries, answered once.
    const back = log.length;
    expect(submit({ type: 'BrokerHeartbeat', brokerId: 0, brokerEpoch, currentMetadataOffset: log.length - 1 }, 60_001)).toMatchObject({ ok: true, response: { isFenced: false } });
    expect(log.length - back).toBeGreaterThan(1);
    for (const e of log.slice(back)) expect(e.data!.length).toBeLessThanOrEqual(entryBytesMax);
    expect(leading()).toBe(400);
  });

  it('still refuses a user operation whose records exceed one entry, writing nothing', () => {
    const { log, submit } = committing();
    const reg = submit({ type: 'BrokerRegistration', brokerId: 0, incarnationId: randomUuid(new Rng(2)), listeners: [] }) as { ok: true; response: { brokerEpoch: number } };
    submit({ type: 'BrokerHeartbeat', brokerId: 0, brokerEpoch: reg.response.brokerEpoch, currentMetadataOffset: 0 });
    const before = log.length;
    expect(submit({ type: 'CreateTopics', topics: [{ name: 'big', numPartitions: 400, replicationFactor: 1 }] })).toMatchObject({ ok: true, response: { topics: [{ errorCode: 'RECORD_LIST_TOO_LARGE' }] } });
    expect(log.length).toBe(before);
  });
});
