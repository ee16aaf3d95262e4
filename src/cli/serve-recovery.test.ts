/**
 * `tributary serve` on the data folder of a cluster that did not shut down cleanly: a
 * progress line names each log being recovered (shown only on a terminal, see main.ts),
 * and a log line counts them once the cluster is up.
 */
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { Cluster } from '../cluster.js';
import type { CommandIo } from './command.js';
import { dispatch } from './dispatch.js';

const tempDir = useTempDirs('tributary-serve-recovery-');

describe('tributary serve after an unclean shutdown', () => {
  it('shows which logs it recovers, and how many', async () => {
    const dataDir = tempDir();
    {
      const cluster = await Cluster.start({ nodes: 1, dataDir });
      await cluster.admin().createTopics([{ name: 'ledger', partitions: 2 }]);
      const producer = cluster.producer({ acks: 'all' });
      await producer.send('ledger', Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      await producer.close();
      cluster.killNode(1); // no clean shutdown: its logs have no clean-shutdown marker
      await cluster.close();
    }
    const progress: (string | undefined)[] = [];
    const logs: string[] = [];
    let out = '';
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const io: CommandIo = {
      stdout: (t) => {
        out += t;
        if (out.includes('bootstrap.servers=')) stop();
      },
      log: (l) => logs.push(l),
      readFile: () => '',
      untilSignal: () => stopped,
      progress: (line) => progress.push(line),
    };
    expect(await dispatch(['serve', '--data-dir', dataDir, '--port', '0'], io)).toBe(0);
    const recovering = progress.filter((l): l is string => l !== undefined && l.startsWith('recovering ledger-'));
    expect(recovering.map((l) => /^recovering (ledger-\d) on node 1: \d+\.\d MB to check/.exec(l)?.[1]).sort()).toEqual(['ledger-0', 'ledger-1']);
    expect(progress.at(-1)).toBeUndefined(); // cleared once up
    expect(logs).toContain('recovered 2 partition logs after an unclean shutdown');
  }, 120_000);
});
