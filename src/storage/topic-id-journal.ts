/**
 * The topic id each partition folder of a data folder holds, for all of them in one file
 * (`<dataDir>/node-<id>/partition-topic-ids`): what Kafka keeps in one `partition.metadata`
 * per partition folder. The broker checks it before it opens a folder, so that a folder
 * left by a deleted topic of the same name (deleted while this node was down) is removed,
 * not taken for the new topic's.
 *
 * **Why one file.** Kafka writes `partition.metadata` before a log's first data reaches
 * the disk. Here that was a file created per partition on its first record: with the
 * folder and the first segment file, three creations per new partition, and on this
 * machine's shared disk a creation costs 0.05 to 2 ms of kernel time (issue 13: a topic of
 * 10,000 partitions waited 10 to 14 s until each had accepted a record). Here it is one
 * line appended to an open file (`topic partition topicId`), no creation and no fsync:
 *
 *   10,000 new partitions: 10,000 `write` calls of about 50 bytes on one descriptor,
 *   against 10,000 `open(O_CREAT)` + `write` + `close` (bench/results/2026-12-07d-partitions.md).
 *
 * **Ordering.** A line is written (with a synchronous `write`, so it is in the page cache,
 * and survives a SIGKILL, before the call returns) before the folder is created, so before
 * its first file: a crash cannot leave data in a folder whose topic is unrecorded (data written
 * by a version before this one has its `partition.metadata`, read into the journal when it
 * is first created, so from then on a folder without a line holds no data). Against power
 * loss the line is as durable as the data it describes: under `flush.messages=1` the
 * broker syncs this file with the data, before the acknowledgement (`sync`); otherwise
 * nothing of a new partition is fsynced until its first roll or the clean close, and this
 * file is synced before the data folder's checkpoints vouch for a rolled segment
 * (`syncNow`, at most once a second) and at the clean close, before the marker.
 *
 * **Later lines win.** A folder removed and created again (a topic deleted and created
 * again under the same name) gets a new line before its new data; the last line for a
 * name says whose data the folder holds. A line cut short by a crash has no newline and
 * is ignored (its folder then holds no data yet: the line precedes the first file). The
 * file is rewritten (atomically, one line per folder) at open when it holds more lines
 * than folders.
 * @internal
 */
import { closeSync, fdatasync, fdatasyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

export const topicIdJournalFile = 'partition-topic-ids';

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The topic id a folder's `partition.metadata` names (Kafka's file, which versions before
 * the journal wrote), or undefined if it is missing or garbled. The line must end in a
 * newline: the file was written in place, and one cut short by a crash must read as
 * garbled, never as another topic's id.
 */
function partitionMetadataTopicId(folder: string): string | undefined {
  try {
    return /^topic_id: (\S+)\n/m.exec(readFileSync(join(folder, 'partition.metadata'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export class TopicIdJournal {
  private readonly ids = new Map<string, string>();
  private fd = -1;
  /** Lines written, and lines known synced. */
  private written = 0;
  private synced = 0;
  private syncing: Promise<void> | undefined;

  private constructor(private readonly dir: string) {
    let text: string;
    try {
      text = readFileSync(join(dir, topicIdJournalFile), 'utf8');
    } catch {
      // None yet: a new data folder, or one written before the journal, whose partition
      // folders each hold a partition.metadata. Those are read once, here, so that from
      // now on a folder without a line holds no data (its line precedes its first file).
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const m = entry.isDirectory() ? /^(.+)-(\d+)$/.exec(entry.name) : null;
        const id = m === null ? undefined : partitionMetadataTopicId(join(dir, entry.name));
        if (id !== undefined) this.ids.set(key(m![1]!, Number(m![2])), id);
      }
      writeFileAtomic(dir, topicIdJournalFile, this.format());
      return;
    }
    let lines = 0;
    for (const m of text.matchAll(/^(\S+) (\d+) (\S+)\n/gm)) {
      lines++;
      if (m[3] === '-') this.ids.delete(key(m[1]!, Number(m[2])));
      else this.ids.set(key(m[1]!, Number(m[2])), m[3]!);
    }
    // Lines of folders recorded again (or forgotten), or a torn last line: rewrite it, one line a folder.
    if (lines > this.ids.size || (text.length > 0 && !text.endsWith('\n'))) writeFileAtomic(dir, topicIdJournalFile, this.format());
  }

  /** Opens the journal of the data folder `dir` (which exists). */
  static open(dir: string): TopicIdJournal {
    return new TopicIdJournal(dir);
  }

  /** The topic id the journal gives a folder, if any (none: the folder holds no data). */
  get(topic: string, partition: number): string | undefined {
    return this.ids.get(key(topic, partition));
  }

  /** Records whose data a folder holds (before its first file is created). */
  record(topic: string, partition: number, topicId: string): void {
    const k = key(topic, partition);
    if (this.ids.get(k) === topicId) return;
    this.append(`${topic} ${partition} ${topicId}\n`);
    this.ids.set(k, topicId);
  }

  /** The folder was removed: its line no longer speaks for whatever is created there next. */
  forget(topic: string, partition: number): void {
    const k = key(topic, partition);
    if (!this.ids.has(k)) return;
    this.append(`${topic} ${partition} -\n`);
    this.ids.delete(k);
  }

  /** Whether lines were written since the last completed sync. */
  get unsynced(): boolean {
    return this.synced < this.written;
  }

  /** Makes every line written so far durable (fdatasync in the thread pool; concurrent calls share one). */
  async sync(): Promise<void> {
    // (A closed journal was synced by `close`; an abandoned one is a crash: nothing to do.)
    while (this.synced < this.written && this.fd >= 0) {
      if (this.syncing === undefined) {
        const upTo = this.written;
        const fd = this.fd;
        this.syncing = new Promise<void>((resolve, reject) =>
          fdatasync(fd, (err) => {
            this.syncing = undefined;
            if (err) reject(err);
            else {
              this.synced = Math.max(this.synced, upTo);
              resolve();
            }
          }),
        );
      }
      await this.syncing;
    }
  }

  /** `sync`, synchronously (with the data folder's checkpoints, at most once a second). */
  syncNow(): void {
    if (this.fd < 0 || !this.unsynced) return;
    const upTo = this.written;
    fdatasyncSync(this.fd);
    this.synced = Math.max(this.synced, upTo);
  }

  /** Syncs what was written and closes the file. */
  close(): void {
    if (this.fd < 0) return;
    this.syncNow();
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Closes the file without a sync (a crash, in tests). */
  abandon(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private append(line: string): void {
    if (this.fd < 0) this.fd = openSync(join(this.dir, topicIdJournalFile), 'a');
    const bytes = Buffer.from(line);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.written++;
  }

  private format(): string {
    let out = '';
    for (const [k, id] of this.ids) {
      const [topic, partition] = k.split('\u0000');
      out += `${topic} ${partition} ${id}\n`;
    }
    return out;
  }
}
