/**
 * Scripted interaction tests: every `testdata/*.txt` is a story told in commands, each
 * followed by the trace it must produce (see test/raft/interaction-harness.ts for the
 * commands). Compared exactly; `REWRITE=1 npx vitest run src/raft/core/interaction.test.ts`
 * writes the traces the code produces now, to be reviewed in the diff like code.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '../../../test/raft/interaction-harness.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const rewrite = process.env['REWRITE'] === '1';

describe('raft interactions', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

  it('has scenario files', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const script = readFileSync(path, 'utf8');
      const actual = runScript(script);
      if (rewrite) writeFileSync(path, actual);
      else expect(actual).toBe(script);
    });
  }
});
