/**
 * What the controller's parts share while deciding one request: the `Txn` that collects
 * its records (each replayed into a delta at once, so later checks in the same request
 * see earlier records), and the small helpers for Kafka-style failures.
 */
import type { ErrorCode } from '../util/error-codes.js';
import { MetadataDelta, type MetadataImage } from './image.js';
import { metadataStringBytesMax, type MetadataRecord } from './records.js';

/**
 * Records being decided for one request: each record is replayed into a delta as soon as
 * it is emitted, so that the rest of the request is validated against it (the second of
 * two topics named alike sees the first).
 */
export class Txn {
  readonly delta: MetadataDelta;
  readonly records: MetadataRecord[] = [];

  constructor(
    base: MetadataImage,
    readonly firstOffset: number,
  ) {
    this.delta = new MetadataDelta(base);
  }

  /** The offset the next emitted record will have. */
  get nextOffset(): number {
    return this.firstOffset + this.records.length;
  }

  emit(record: MetadataRecord): void {
    this.records.push(record);
    this.delta.replay(record);
  }

  /** Whether a broker may lead or join an ISR: registered and unfenced. */
  usable = (brokerId: number): boolean => {
    const b = this.delta.broker(brokerId);
    return b !== undefined && !b.fenced;
  };
}

/** Why a request (or one of its parts) fails: Kafka's error code and a message. */
export type Failure = { readonly code: ErrorCode; readonly message: string };

export const ok = { errorCode: 'NONE', errorMessage: null } as const;

export function fail(code: ErrorCode, message: string): Failure {
  return { code, message };
}

export function isBrokerId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= 0x7fffffff;
}

const textEncoder = new TextEncoder();

/** Whether a string fits a metadata record's string field. */
export function fitsString(s: string): boolean {
  return s.length <= metadataStringBytesMax && textEncoder.encode(s).length <= metadataStringBytesMax;
}
