/**
 * A topic's `compression.type` on the leader's append: Kafka's `LogValidator` path for a
 * batch whose codec is not the topic's (`validateMessagesAndAssignOffsetsCompressed`, no
 * in-place assignment, then `buildRecordsAndAssignOffsets`). The batch is rebuilt with the
 * topic's codec before it reaches the partition's append; `uncompressed` decompresses.
 *
 * What the rebuilt batch keeps, as Kafka's `MemoryRecordsBuilder` builds it: the
 * producer id, epoch and base sequence (idempotence and transactions see the batch the
 * producer sent), the transactional bit and the timestamp type, and every record's key,
 * value, headers and timestamp. The rest comes from the records, not from the producer's
 * header: the base timestamp is the first record's, the max timestamp the records'
 * largest, the offset deltas 0, 1, 2, ... (the span the record count), record attributes
 * 0, no delete horizon; then the CRC. For a batch every Kafka client writes these are the
 * producer's own values; a hand-made header that said otherwise is not kept (before s13
 * it was). A control batch is never converted (Kafka: "do not compress control records
 * unless they are written compressed"; a client may not send one at all).
 *
 * Every record of a converted batch is decoded once, as Kafka's compressed path iterates
 * every record: a batch whose CRC is good but whose compressed bytes or records are not
 * is refused `CORRUPT_MESSAGE`, never rewrapped under a fresh CRC.
 *
 * **Level.** The batch is compressed at the topic's level for the target codec (KIP-390:
 * Kafka's validator builds with `Compression.of(type).level(...)` from the topic's
 * `compression.gzip.level` / `compression.zstd.level` / `compression.lz4.level`). A
 * batch already in the topic's codec is kept whatever level it was written at, as in
 * Kafka (the in-place path compares codecs only). lz4 has no level here: see
 * `compressionLevelFor`.
 *
 * **Order.** The codecs are asynchronous (native packages off the event loop), while the
 * partition's append is synchronous. {@link RecompressionGates} keeps each partition's
 * appends in arrival order around the wait: see docs/design/storage.md, "compression.type".
 * @internal
 */
import { assembleBatch, batchHeaderBytes, compressionOf, decodeRecordsSection, encodeRecords, isControlBatch, keptBatchOptions, type BatchHeader, type BatchOptions, type CompressionType } from '../record/batch.js';
import { markChecksummedHere } from '../record/checksummed-here.js';
import { codecFor } from '../record/codecs/index.js';
import { validateBatches, type ValidationRules } from '../storage/log-validator.js';
import { decompressAhead, forgetAhead, zstdBatchAhead } from './decompressed-ahead.js';
import type { ErrorCode } from '../util/error-codes.js';
import { isTributaryError } from '../util/errors.js';

/**
 * The codec a topic's effective `compression.type` stores batches in, or undefined for
 * `producer` (keep the producer's codec, Kafka's default) and for no value at all.
 */
export function compressionTarget(compressionType: string | undefined): CompressionType | undefined {
  switch (compressionType?.trim()) {
    case 'uncompressed':
      return 'none';
    case 'gzip':
      return 'gzip';
    case 'snappy':
      return 'snappy';
    case 'lz4':
      return 'lz4';
    case 'zstd':
      return 'zstd';
    default:
      return undefined;
  }
}

export type Recompressed = { readonly ok: true; readonly bytes: Uint8Array; readonly converted: number } | { readonly ok: false; readonly errorCode: ErrorCode; readonly message: string };

/**
 * `bytes` (a produce's batches for one partition) with every data batch in `target`'s
 * codec. Batches already in it come through untouched, and when all are, `bytes` itself
 * is returned (`converted: 0`). Bytes that fail the leader's checks (`rules`) are returned
 * as they are, for the partition's append to refuse with its own answer. `level` is the
 * target codec's level (undefined: the codec's default).
 */
export async function recompressBatches(bytes: Uint8Array, target: CompressionType, rules: ValidationRules, level?: number): Promise<Recompressed> {
  const checked = validateBatches(bytes, rules);
  if (!checked.ok) return { ok: true, bytes, converted: 0 };
  const { batches, bytes: buf } = checked.value;
  let converted = 0;
  for (const b of batches) if (needsConversion(b.header.attributes, target)) converted++;
  if (converted === 0) return { ok: true, bytes, converted: 0 };
  const parts: Uint8Array[] = [];
  try {
    for (const { position, size, header } of batches) {
      const whole = buf.subarray(position, position + size);
      if (!needsConversion(header.attributes, target)) {
        parts.push(whole);
        continue;
      }
      const source = compressionOf(header.attributes);
      const section = whole.subarray(batchHeaderBytes);
      const records = source === 'none' ? section : await codecFor(source).decompress(section);
      // Every record decodes, and the count agrees with the header (throws CORRUPT_MESSAGE);
      // then the records are written again as Kafka's `MemoryRecordsBuilder` writes them.
      const rebuilt = encodeRecords(decodeRecordsSection(records, header), 0);
      const packed = target === 'none' ? rebuilt.body : await codecFor(target).compress(rebuilt.body, level);
      parts.push(assembleBatch(packed, header.recordCount, rebuilt.baseTimestamp, rebuilt.maxTimestamp, target, rebuiltBatchOptions(header)));
    }
  } catch (err) {
    if (isTributaryError(err)) return { ok: false, errorCode: err.code, message: err.message };
    throw err;
  }
  const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  // Each batch's CRC was computed here or checked just above: the append need not check it again.
  markChecksummedHere(out);
  return { ok: true, bytes: out, converted };
}

/**
 * The header fields a rebuilt batch takes from the producer's: Kafka's
 * `buildRecordsAndAssignOffsets` passes the producer id, epoch, base sequence and the
 * transactional bit to its builder, and nothing else. The offset span is the record count
 * (offset deltas 0, 1, 2, ...), and no delete horizon (attribute bit 6) is set.
 */
function rebuiltBatchOptions(header: BatchHeader): BatchOptions {
  return { ...keptBatchOptions(header, false), lastOffsetDelta: header.recordCount - 1 };
}

function needsConversion(attributes: number, target: CompressionType): boolean {
  return !isControlBatch(attributes) && compressionOf(attributes) !== target;
}

/** One request's hold on the partitions it appends to (see {@link RecompressionGates}). */
export interface GateHold {
  /** Resolves once every earlier hold on these partitions was released. */
  readonly ready: Promise<void>;
  /** Lets the next request on these partitions go; call once, after the appends. */
  release(): void;
}

/**
 * Arrival order for the appends of partitions whose batches may be converted.
 *
 * A produce whose batches need converting waits for its codec; a later produce to the
 * same partition must not append in that time (an idempotent producer's next batch would
 * be refused OUT_OF_ORDER_SEQUENCE, and any producer's records would land out of order).
 * So a request takes a hold on each partition it appends to, all at once and before it
 * waits for anything, and releases them after its appends; a request whose partition is
 * held waits for the earlier hold first. Holds are taken in one synchronous step per
 * request, so every partition sees the requests in one order (arrival) and no two requests
 * can wait on each other.
 *
 * Nothing is held for a partition whose topic keeps the producer's codec unless an earlier
 * hold is still open on it (a topic whose `compression.type` just changed to `producer`):
 * with no hold open anywhere, the produce path does not come here at all.
 */
export class RecompressionGates {
  private readonly tails = new Map<string, Promise<void>>();

  /** Whether any partition is held now. */
  get holding(): boolean {
    return this.tails.size > 0;
  }

  /** Whether `key` is held now. */
  isHeld(key: string): boolean {
    return this.tails.has(key);
  }

  /** Takes a hold on each of `keys` (distinct partition keys), behind the holds already taken. */
  hold(keys: readonly string[]): GateHold {
    const earlier: Promise<void>[] = [];
    let open!: () => void;
    const mine = new Promise<void>((resolve) => (open = resolve));
    for (const key of keys) {
      const before = this.tails.get(key);
      if (before !== undefined) earlier.push(before);
      this.tails.set(key, mine);
    }
    let released = false;
    return {
      ready: earlier.length === 0 ? Promise.resolve() : Promise.all(earlier).then(() => undefined),
      release: () => {
        if (released) return;
        released = true;
        for (const key of keys) if (this.tails.get(key) === mine) this.tails.delete(key);
        open();
      },
    };
  }
}

/** What {@link convertForAppend} needs of a partition being appended to (a `Hosted` of the replica manager). */
export interface ConvertTarget {
  readonly key: string;
  readonly topic: string;
  readonly replica: { readonly log: { readonly config: { readonly maxMessageBytes: number; readonly messageTimestampType?: string } } };
}

/**
 * Whether the batch at the front of `records` is decompressed ahead of its append into `h`
 * (decompressed-ahead.ts): a zstd batch into a CreateTime topic, whose append reads every
 * record's timestamp. A LogAppendTime topic's append reads none (the broker stamps them),
 * so its body would be decompressed for nothing, and its partition held while it was.
 */
function readsAhead(h: ConvertTarget, records: Uint8Array | null): boolean {
  return h.replica.log.config.messageTimestampType !== 'LogAppendTime' && zstdBatchAhead(records);
}

/**
 * The convert step of a produce request, between finding each partition's leader and
 * appending: takes a hold on every partition that converts (or is held, or gets a zstd
 * batch to decompress ahead: decompressed-ahead.ts), waits for the
 * earlier holds, converts, and returns the request's records with converted bytes in
 * place of the originals (`records[i]`), the entries refused (`refused[i]`, an error to
 * answer with), and the hold to release once the appends are made. `levelOf` gives the
 * level a topic compresses its target codec at. Undefined when nothing
 * of the request converts or is held: the caller goes on at once.
 */
export async function convertForAppend(
  gates: RecompressionGates,
  entries: readonly { readonly topic: string; readonly records: Uint8Array | null }[],
  leaders: readonly (ConvertTarget | undefined)[],
  targetOf: (topic: string) => CompressionType | undefined,
  levelOf: (topic: string, type: CompressionType) => number | undefined = () => undefined,
): Promise<{ hold: GateHold; records: (Uint8Array | null)[]; refused: ({ errorCode: ErrorCode; message: string } | undefined)[] } | undefined> {
  const keys: string[] = [];
  const targets = new Array<CompressionType | undefined>(entries.length);
  let lastTopic: string | undefined;
  let lastTarget: CompressionType | undefined;
  for (let i = 0; i < entries.length; i++) {
    const h = leaders[i];
    if (h === undefined) continue;
    if (h.topic !== lastTopic) {
      lastTopic = h.topic;
      lastTarget = targetOf(h.topic);
    }
    targets[i] = lastTarget;
    if (lastTarget !== undefined || gates.isHeld(h.key) || readsAhead(h, entries[i]!.records)) keys.push(h.key);
  }
  if (keys.length === 0) return undefined;
  const hold = gates.hold([...new Set(keys)]);
  try {
    await hold.ready;
    const records = entries.map((e) => e.records);
    const refused = new Array<{ errorCode: ErrorCode; message: string } | undefined>(entries.length);
    await Promise.all(
      entries.map(async (e, i) => {
        const target = targets[i];
        const h = leaders[i];
        // A zstd batch kept in its codec: its records decompressed ahead for the timestamp check
        // (decompressed-ahead.ts). Also into a zstd topic, whose conversion leaves a zstd batch as it is.
        if ((target === undefined || target === 'zstd') && h !== undefined && readsAhead(h, e.records)) {
          await decompressAhead(e.records!);
          if (target === undefined) return;
        }
        if (target === undefined || h === undefined || e.records === null || e.records.length === 0) return;
        const rules: ValidationRules = { assignOffsets: true, nextOffset: -1, maxMessageBytes: h.replica.log.config.maxMessageBytes, keysRequired: false };
        const r = await recompressBatches(e.records, target, rules, levelOf(e.topic, target));
        if (r.ok) records[i] = r.bytes;
        else refused[i] = { errorCode: r.errorCode, message: r.message };
      }),
    );
    return { hold, records, refused };
  } catch (err) {
    hold.release();
    // What was decompressed ahead for this request no longer counts against the bound.
    for (const e of entries) forgetAhead(e.records);
    throw err;
  }
}
