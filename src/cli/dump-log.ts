/**
 * `tributary dump-log DIR|FILE`: prints the batches (and with `--print-data` the records)
 * of segment files, and the entries of their `.index` and `.timeindex` files, as Kafka's
 * `kafka-dump-log.sh` does, for the data folder of a stopped
 * cluster or a single `.log` file. It only reads: it opens files read-only, never takes
 * the folder lock and never writes, so it is safe on a folder a cluster is using (what it
 * shows of the active segment may then end mid-write).
 *
 * Exit code 0 when every batch read is whole and its CRC matches (a torn tail, what a crash
 * leaves, is reported and is not a failure: recovery truncates it); 1 when a batch's CRC
 * or structure is bad, or a file cannot be read.
 *
 * ```sh
 * tributary dump-log ./data/orders-0 --print-data
 * ```
 * @internal
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, fstatSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeBatch } from '../record/codecs/index.js';
import { attributeBits, batchHeaderBytes, batchLogOverheadBytes, checkBatch, compressionOf, crcStartPosition, readBatchHeader, timestampTypeOf } from '../record/batch.js';
import { offsetIndexEntryBytes, parseSegmentFileName, segmentFileStem, timeIndexEntryBytes } from '../storage/core/offset-index.js';
import { crc32c } from '../util/crc32c.js';
import { atMostOne, parseCommandLine, UsageError, type FlagSpec } from './args.js';
import type { Command, CommandIo } from './command.js';
import { errorLine } from './remote.js';

const flags: Record<string, FlagSpec> = {
  'print-data': { value: false },
  help: { value: false },
  // kafka-dump-log.sh's spellings.
  files: { value: true },
  'print-data-log': { value: false },
};

const usage = `Usage: tributary dump-log DIR|FILE [options]
       tributary dump-log --files FILE[,FILE...] [--print-data-log]   (kafka-dump-log.sh's spelling)

Prints the record batches of segment files (.log), and the entries of their offset
(.index) and time (.timeindex) indexes: every such file under DIR (a data folder, or
one partition's folder), or FILE. Read-only: safe on the folder of a running cluster,
and never takes its lock.

Per batch: baseOffset lastOffset count baseSequence lastSequence producerId producerEpoch
partitionLeaderEpoch isTransactional isControl deleteHorizonMs position CreateTime (or
LogAppendTime) size magic compresscodec crcValid.

Per index entry: "offset: O position: P" (.index), "timestamp: T offset: O"
(.timeindex); then "Mismatches in FILE:" for entries that do not increase, or (.index)
that do not point at a batch with that base offset in the .log beside it.

Options:
  --print-data   also print each record: offset, timestamp, key and value sizes, header
                 keys, key and payload (as text; a backslash, control characters and
                 bytes that are not UTF-8 escaped as \\\\, \\n, \\t, \\r, \\xNN; C1
                 controls such as U+0085 and U+2028, U+2029 as \\uXXXX)
  --help         this text

Exit code 0 when every batch and index is sound (a torn tail is reported, and is not a
failure); 1 when a batch is corrupt, an index mismatches, or a file cannot be read.
`;

/** Bytes read from a file at a time; a batch larger than this is read on its own. */
const readChunkBytes = 8 * 1024 * 1024;

const suffixOrder: Record<string, number> = { log: 0, index: 1, timeindex: 2 };

/**
 * The segment files under `path` (`.log`, `.index`, `.timeindex`), in folder order, then by
 * base offset, each segment's log before its indexes. Other files (a `.swap`, a
 * checkpoint) are left out.
 */
function segmentFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const here: { path: string; baseOffset: number; order: number }[] = [];
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const parsed = parseSegmentFileName(e.name);
        if (parsed !== undefined && parsed.suffix in suffixOrder) here.push({ path: p, baseOffset: parsed.baseOffset, order: suffixOrder[parsed.suffix]! });
      }
    }
    here.sort((a, b) => a.baseOffset - b.baseOffset || a.order - b.order);
    out.push(...here.map((h) => h.path));
  };
  walk(path);
  return out;
}

/**
 * Dumps an offset index (`.index`: entries of relative offset int32, position int32) or a
 * time index (`.timeindex`: timestamp int64, relative offset int32), as kafka-dump-log
 * does: one line an entry with the absolute offset. Then checks what an index must be
 * (whole entries; offsets, positions and timestamps increasing) and, for an offset index
 * beside its `.log`, that each position is the start of a batch with that base offset
 * (Tributary keys its offset index by a batch's base offset). A mismatch is printed as
 * kafka-dump-log prints it, and makes the dump unsound (exit code 1), though recovery would
 * rebuild such an index from the log.
 */
function dumpIndex(path: string, kind: 'index' | 'timeindex', baseOffset: number, io: CommandIo): boolean {
  const fd = openSync(path, 'r');
  let bytes: Buffer;
  try {
    bytes = new FileWindow(fd).bytes(0, Number.MAX_SAFE_INTEGER);
  } finally {
    closeSync(fd);
  }
  io.stdout(`Dumping ${path}\n`);
  const entryBytes = kind === 'index' ? offsetIndexEntryBytes : timeIndexEntryBytes;
  const problems: string[] = [];
  const whole = bytes.length - (bytes.length % entryBytes);
  if (whole !== bytes.length) problems.push(`${bytes.length - whole} bytes at the end are not a whole entry (${entryBytes} bytes each)`);
  let out = '';
  if (kind === 'index') {
    const log = join(dirname(path), `${segmentFileStem(baseOffset)}.log`);
    const logFd = existsSync(log) ? openSync(log, 'r') : undefined;
    try {
      const reader = logFd === undefined ? undefined : new FileWindow(logFd);
      let prevOffset = -1;
      let prevPosition = -1;
      for (let i = 0; i < whole; i += entryBytes) {
        const offset = baseOffset + bytes.readInt32BE(i);
        const position = bytes.readInt32BE(i + 4);
        out += `offset: ${offset} position: ${position}\n`;
        if (offset <= prevOffset || position <= prevPosition) problems.push(`entry ${i / entryBytes} (offset ${offset}, position ${position}) does not increase`);
        prevOffset = offset;
        prevPosition = position;
        if (reader !== undefined && position < 0) {
          // A garbled entry: nothing to read there (a Buffer of a negative size would throw).
          problems.push(`Index offset: ${offset}, log offset: none (position ${position} is outside the log) at position ${position}`);
        } else if (reader !== undefined) {
          const head = reader.bytes(position, batchHeaderBytes);
          const found = head.length < batchHeaderBytes ? undefined : readBatchHeader(head, 0).baseOffset;
          if (found !== offset) problems.push(`Index offset: ${offset}, log offset: ${found ?? 'none (past the end of the log)'} at position ${position}`);
        }
      }
    } finally {
      if (logFd !== undefined) closeSync(logFd);
    }
  } else {
    let prevTimestamp = -Infinity;
    let prevOffset = -1;
    for (let i = 0; i < whole; i += entryBytes) {
      const timestamp = Number(bytes.readBigInt64BE(i));
      const offset = baseOffset + bytes.readInt32BE(i + 8);
      out += `timestamp: ${timestamp} offset: ${offset}\n`;
      if (timestamp < prevTimestamp || offset < prevOffset) problems.push(`entry ${i / entryBytes} (timestamp ${timestamp}, offset ${offset}) goes backwards`);
      prevTimestamp = timestamp;
      prevOffset = offset;
    }
  }
  io.stdout(out);
  if (problems.length > 0) io.stdout(`Mismatches in ${path}:\n${problems.map((p) => `  ${p}\n`).join('')}`);
  return problems.length === 0;
}

/** Reads a file forward in chunks, never writing: a window over the file. */
class FileWindow {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  readonly size: number;
  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }
  /** `length` bytes at `position` (fewer at the end of the file). */
  bytes(position: number, length: number): Buffer {
    // Past the end (a garbled index entry's position): nothing, not a Buffer of a negative size.
    if (position >= this.size) return Buffer.alloc(0);
    const end = Math.min(position + length, this.size);
    if (position >= this.bufStart && end <= this.bufStart + this.buf.length) return this.buf.subarray(position - this.bufStart, end - this.bufStart);
    const want = Math.max(end - position, Math.min(readChunkBytes, this.size - position));
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, buf, got, want - got, position + got);
      if (n === 0) break;
      got += n;
    }
    this.buf = buf.subarray(0, got);
    this.bufStart = position;
    return this.buf.subarray(0, Math.min(end - position, got));
  }
}

// ignoreBOM: a leading U+FEFF is part of the data, printed as it is (the decoder's default drops it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A key or payload as text on one line: UTF-8 as it is, with a backslash and the control
 * characters escaped (`\\`, `\n`, `\t`, `\xNN`), and the C1 controls and U+2028, U+2029,
 * where other line splitters break (Python's `splitlines`), as `\uXXXX`; bytes that are
 * not UTF-8 (a metadata record, say) byte by byte, printable ASCII as it is and the rest
 * as `\xNN`. A payload holding a newline would otherwise break the one-record-a-line
 * output that scripts read.
 */
function text(b: Uint8Array | null): string {
  if (b === null) return 'null';
  const hex = (n: number): string => `\\x${n.toString(16).padStart(2, '0')}`;
  let s: string;
  try {
    s = utf8.decode(b);
  } catch {
    let out = '';
    for (const byte of b) out += byte === 0x5c ? '\\\\' : byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : hex(byte);
    return out;
  }
  // C1 controls (U+0085 NEL among them) and U+2028, U+2029 are code points, not bytes:
  // `\uXXXX`, so `\x85` keeps meaning the byte 0x85 of text that is not UTF-8.
  return s.replace(/[\\\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const n = c.charCodeAt(0);
    return n <= 0x7f ? hex(n) : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** Dumps one file; true when it is sound. */
async function dumpFile(path: string, printData: boolean, io: CommandIo): Promise<boolean> {
  const fd = openSync(path, 'r');
  try {
    const reader = new FileWindow(fd);
    const parsed = parseSegmentFileName(basename(path));
    io.stdout(`Dumping ${path}\n`);
    if (parsed !== undefined) io.stdout(`Log starting offset: ${parsed.baseOffset}\n`);
    let position = 0;
    let sound = true;
    while (position < reader.size) {
      const head = reader.bytes(position, batchHeaderBytes);
      if (head.length < batchHeaderBytes) {
        io.stdout(`Found ${reader.size - position} invalid bytes at the end of ${basename(path)} (a torn tail)\n`);
        break;
      }
      const batchLength = head.readInt32BE(8);
      const size = batchLength + batchLogOverheadBytes;
      if (batchLength < batchHeaderBytes - batchLogOverheadBytes || position + size > reader.size) {
        const torn = position + size > reader.size && batchLength >= batchHeaderBytes - batchLogOverheadBytes;
        io.stdout(`Found ${reader.size - position} invalid bytes at the end of ${basename(path)} (${torn ? 'a torn tail' : `bad batch length ${batchLength}`})\n`);
        if (!torn) sound = false;
        break;
      }
      const bytes = reader.bytes(position, size);
      const h = readBatchHeader(bytes, 0);
      const crcValid = crc32c(bytes, crcStartPosition, size) === h.crc;
      const check = checkBatch(bytes, 0, size, false);
      if (!crcValid || !check.ok) sound = false;
      const lastSequence = h.baseSequence < 0 ? -1 : h.baseSequence + h.lastOffsetDelta;
      const horizon = h.attributes & attributeBits.deleteHorizon ? String(h.baseTimestamp) : 'none';
      io.stdout(
        `baseOffset: ${h.baseOffset} lastOffset: ${h.baseOffset + h.lastOffsetDelta} count: ${h.recordCount} baseSequence: ${h.baseSequence} lastSequence: ${lastSequence} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${(h.attributes & attributeBits.transactional) !== 0} isControl: ${(h.attributes & attributeBits.control) !== 0} deleteHorizonMs: ${horizon} position: ${position} ${timestampTypeOf(h.attributes)}: ${h.maxTimestamp} size: ${size} magic: ${h.magic} compresscodec: ${compressionOf(h.attributes)} crcValid: ${crcValid}${check.ok ? '' : ` problem: ${check.problem}`}\n`,
      );
      if (printData && check.ok) {
        try {
          const records = await decodeBatch(bytes, 0, { verifyCrc: false });
          let out = '';
          for (const r of records) {
            const sequence = h.baseSequence < 0 ? -1 : h.baseSequence + (r.offset - h.baseOffset);
            out += `| offset: ${r.offset} ${timestampTypeOf(h.attributes)}: ${r.timestamp} keySize: ${r.key === null ? -1 : r.key.length} valueSize: ${r.value === null ? -1 : r.value.length} sequence: ${sequence} headerKeys: [${r.headers.map((x) => x.key).join(',')}] key: ${text(r.key)} payload: ${text(r.value)}\n`;
          }
          io.stdout(out);
        } catch (err) {
          sound = false;
          io.stdout(`| records unreadable: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
      position += size;
    }
    return sound;
  } finally {
    closeSync(fd);
  }
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags: f, positionals } = parseCommandLine(argv, flags, 1);
  if (f.has('help')) {
    io.stdout(usage);
    return 0;
  }
  const listed = f.get('files')?.[0];
  if (listed !== undefined && positionals.length > 0) throw new UsageError('a DIR|FILE argument and --files cannot go together');
  const paths = listed !== undefined ? listed.split(',').filter((p) => p !== '') : positionals;
  if (paths.length === 0) throw new UsageError('which folder or file? tributary dump-log DIR|FILE (or --files FILE,FILE)');
  const printData = atMostOne(f, ['print-data', 'print-data-log']) !== undefined;
  const files: string[] = [];
  for (const path of paths) {
    try {
      const found = segmentFiles(path);
      if (!found.some((file) => file.endsWith('.log')) && !statSync(path).isFile()) {
        errorLine(io, `tributary dump-log: no .log segment files under ${path}`);
        return 1;
      }
      files.push(...found);
    } catch (err) {
      errorLine(io, `tributary dump-log: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
  }
  let sound = true;
  for (const [i, file] of files.entries()) {
    io.progress?.(`file ${i + 1} of ${files.length}: ${file}`);
    try {
      const parsed = parseSegmentFileName(basename(file));
      const kind = parsed?.suffix;
      const ok = kind === 'index' || kind === 'timeindex' ? dumpIndex(file, kind, parsed!.baseOffset, io) : await dumpFile(file, printData, io);
      if (!ok) sound = false;
    } catch (err) {
      sound = false;
      errorLine(io, `tributary dump-log: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  io.progress?.(undefined);
  return sound ? 0 : 1;
}

export const dumpLog: Command = { name: 'dump-log', summary: 'print the batches and records of segment files, offline and read-only (kafka-dump-log)', run };
