import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { TopicIdJournal, topicIdJournalFile } from './topic-id-journal.js';

const tempDir = useTempDirs('tributary-topic-id-journal-');

describe('the topic-id journal', () => {
  it('later lines win, a forgotten folder has none, and a reopen rewrites it one line a folder', () => {
    const dir = tempDir();
    const j = TopicIdJournal.open(dir);
    j.record('a', 0, 'id1');
    j.record('a', 0, 'id1'); // the same again: no line
    j.record('a', 1, 'id1');
    j.forget('a', 0);
    j.record('a', 0, 'id2');
    j.close();
    expect(readFileSync(join(dir, topicIdJournalFile), 'utf8')).toBe('a 0 id1\na 1 id1\na 0 -\na 0 id2\n');
    const again = TopicIdJournal.open(dir);
    expect([again.get('a', 0), again.get('a', 1), again.get('b', 0)]).toEqual(['id2', 'id1', undefined]);
    expect(readFileSync(join(dir, topicIdJournalFile), 'utf8')).toBe('a 1 id1\na 0 id2\n');
    again.close();
  });

  it('a line cut short (no newline) is ignored, and cut off before the next line is appended', () => {
    const dir = tempDir();
    writeFileSync(join(dir, topicIdJournalFile), 'a 0 id1\n');
    appendFileSync(join(dir, topicIdJournalFile), 'a 1 id');
    const j = TopicIdJournal.open(dir);
    expect(j.get('a', 1)).toBeUndefined();
    j.record('a', 2, 'id3');
    j.close();
    expect(readFileSync(join(dir, topicIdJournalFile), 'utf8')).toBe('a 0 id1\na 2 id3\n');
  });

  it('created in a data folder from before it, takes over each partition folder’s partition.metadata (an intact one)', () => {
    const dir = tempDir();
    for (const [name, text] of [
      ['my-topic-3', 'version: 0\ntopic_id: idA\n'],
      ['other-0', 'version: 0\ntopic_id: idB'], // cut short by a crash: garbled
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'partition.metadata'), text);
    }
    const j = TopicIdJournal.open(dir);
    expect([j.get('my-topic', 3), j.get('other', 0)]).toEqual(['idA', undefined]);
    j.close();
    expect(readFileSync(join(dir, topicIdJournalFile), 'utf8')).toBe('my-topic 3 idA\n');
  });
});
