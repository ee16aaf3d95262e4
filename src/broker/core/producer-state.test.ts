import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProducerState, batchesRetainedPerProducer, lastSequenceOf, type ProducerBatch } from './producer-state.js';

const batch = (producerId: number, producerEpoch: number, baseSequence: number, offsetCount = 1): ProducerBatch => ({ producerId, producerEpoch, baseSequence, offsetCount });

describe('ProducerState', () => {
  it('appends in-sequence batches and answers retries of the last five with their first offsets', () => {
    const s = new ProducerState();
    let offset = 0;
    for (let seq = 0; seq < 20; seq += 2) {
      const b = batch(7, 0, seq, 2);
      expect(s.check(b)).toEqual({ kind: 'append' });
      s.apply(b, offset, offset + 1, 0);
      offset += 2;
    }
    // The last five batches (sequences 10..19) are remembered.
    expect(s.check(batch(7, 0, 18, 2))).toEqual({ kind: 'duplicate', firstOffset: 18, lastOffset: 19 });
    expect(s.check(batch(7, 0, 10, 2))).toEqual({ kind: 'duplicate', firstOffset: 10, lastOffset: 11 });
    // Older than the five kept: out of order, as in Kafka.
    expect(s.check(batch(7, 0, 8, 2))).toMatchObject({ kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  it('refuses gaps and older epochs, and requires a new epoch to start at 0', () => {
    const s = new ProducerState();
    s.apply(batch(1, 3, 0, 5), 0, 4, 0);
    expect(s.check(batch(1, 3, 6))).toMatchObject({ kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(s.check(batch(1, 3, 5))).toEqual({ kind: 'append' });
    expect(s.check(batch(1, 2, 5))).toMatchObject({ kind: 'error', code: 'INVALID_PRODUCER_EPOCH' });
    expect(s.check(batch(1, 4, 5))).toMatchObject({ kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(s.check(batch(1, 4, 0))).toEqual({ kind: 'append' });
    s.apply(batch(1, 4, 0), 5, 5, 0);
    expect(s.check(batch(1, 3, 5))).toMatchObject({ kind: 'error', code: 'INVALID_PRODUCER_EPOCH' });
  });

  it('accepts an unknown producer at any sequence (KIP-360), and ignores batches without a producer', () => {
    const s = new ProducerState();
    expect(s.check(batch(9, 0, 1234))).toEqual({ kind: 'append' });
    expect(s.check(batch(-1, -1, -1))).toEqual({ kind: 'append' });
    s.apply(batch(-1, -1, -1), 0, 0, 0);
    expect(s.size).toBe(0);
  });

  it('wraps sequences after 2^31 - 1', () => {
    const s = new ProducerState();
    s.apply(batch(2, 0, 2147483646, 2), 0, 1, 0); // 2147483646, 2147483647
    expect(lastSequenceOf(2147483646, 2)).toBe(2147483647);
    expect(s.check(batch(2, 0, 0))).toEqual({ kind: 'append' });
    expect(lastSequenceOf(2147483647, 3)).toBe(1);
  });

  it('expires idle producers', () => {
    const s = new ProducerState();
    s.apply(batch(1, 0, 0), 0, 0, 1_000);
    s.apply(batch(2, 0, 0), 1, 1, 5_000);
    expect(s.expire(6_500, 2_000)).toBe(1);
    expect(s.size).toBe(1);
    expect(s.check(batch(1, 0, 77))).toEqual({ kind: 'append' }); // forgotten: accepted again
  });

  it('a rebuild from the log gives the same answers as live state (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ producer: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: 1, max: 4 }), retry: fc.boolean(), bumpEpoch: fc.boolean() }), { maxLength: 60 }),
        (steps) => {
          const live = new ProducerState();
          const log: { batch: ProducerBatch; firstOffset: number; lastOffset: number; timestamp: number }[] = [];
          const next = new Map<number, { epoch: number; seq: number; sent: ProducerBatch[] }>();
          let offset = 0;
          const offsetsOf = new Map<ProducerBatch, [number, number]>();
          for (const st of steps) {
            const p = next.get(st.producer) ?? { epoch: 0, seq: 0, sent: [] };
            next.set(st.producer, p);
            let b: ProducerBatch;
            if (st.retry && p.sent.length > 0) b = p.sent[p.sent.length - 1]!;
            else {
              if (st.bumpEpoch) {
                p.epoch++;
                p.seq = 0;
              }
              b = batch(st.producer, p.epoch, p.seq, st.count);
              p.seq += st.count;
              p.sent.push(b);
            }
            const c = live.check(b);
            if (st.retry && offsetsOf.has(b)) {
              // A retry of the last batch is always recognised, with its original offsets.
              expect(c).toEqual({ kind: 'duplicate', firstOffset: offsetsOf.get(b)![0], lastOffset: offsetsOf.get(b)![1] });
              continue;
            }
            expect(c).toEqual({ kind: 'append' });
            live.apply(b, offset, offset + b.offsetCount - 1, 0);
            log.push({ batch: b, firstOffset: offset, lastOffset: offset + b.offsetCount - 1, timestamp: 0 });
            offsetsOf.set(b, [offset, offset + b.offsetCount - 1]);
            offset += b.offsetCount;
          }
          const rebuilt = new ProducerState();
          rebuilt.rebuild(log);
          for (const [id, p] of next) {
            for (const probe of [...p.sent.slice(-batchesRetainedPerProducer - 1), batch(id, p.epoch, p.seq), batch(id, p.epoch, p.seq + 1)]) {
              expect(rebuilt.check(probe)).toEqual(live.check(probe));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
