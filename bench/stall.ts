import { loadavg } from 'node:os';
import { fmt, runCase, table } from './lib.js';

const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/**
 * `npm run bench -- --only stall`: the event loop under a producer flat out (issue 13,
 * benchmark section): a 1-node in-process cluster, acks=1, linger 0, 100-byte records,
 * either 32 single-record calls in flight or one at a time, 3 s each, `runs` times each
 * (interleaved: the machine is shared, and one run says little about the longest stall).
 * Each row: `monitorEventLoopDelay` p99 and max, the loop's turns and longest gap, the gaps
 * of 20 ms or more, how many of them the process mostly waited for a core (it used less CPU
 * time, every thread counted, than half the gap) and how many were mostly a
 * garbage-collector pause (by the `gc` performance entries), the longest gap in which the
 * process mostly ran (a chain of work, or a collection), the most CPU time the process
 * used between two turns (every thread: an upper bound on the main thread's longest chain
 * of work, whatever the scheduler did), and the load average when the run started.
 */
export async function stallBench(runs = 3): Promise<string> {
  const rows: (string | number)[][] = [];
  for (let run = 0; run < runs; run++) {
    for (const mode of ['window', 'linger0'] as const) {
      const load = loadavg()[0]!;
      const st = await runCase('./cluster-cases.ts', ['stall', mode, '3']);
      const p99 = st.loopDelayP99Ms as number;
      const max = st.loopDelayMaxMs as number;
      rows.push([
        `${mode === 'window' ? '32 single-record calls in flight' : 'one single-record call at a time'} (run ${run + 1}, load ${fmt(load, 1)})`,
        `p99 ${fmt(p99, 1)} ms, max ${fmt(max, 1)} ms`,
        `${fmt(st.loopTurns as number)} turns, longest gap ${fmt(st.longestTurnGapMs as number, 1)} ms; ${fmt(st.gapsOver20Ms as number)} gaps >= 20 ms: ${fmt(st.gapsOver20MsMostlyWaiting as number)} mostly waiting for a core, ${fmt(st.gapsOver20MsMostlyGc as number)} mostly GC; longest gap the process mostly ran: ${fmt(st.longestGapRunningMs as number, 1)} ms; most CPU between two turns: ${fmt(st.maxGapCpuMs as number, 1)} ms`,
        `${fmt(st.gcPauses as number)} pauses, p99 ${fmt(st.gcPauseP99Ms as number, 1)} ms, max ${fmt(st.gcPauseMaxMs as number, 1)} ms`,
        `${fmt(st.recordsPerSec as number)} rec/s, ${fmt(st.cpuPerRecordNs as number)} ns CPU/rec`,
        `p99 and max < 20 ms: ${met(p99 < 20 && max < 20 && (st.loopTurns as number) > 1)}`,
      ]);
    }
  }
  const intro =
    'A producer flat out on a 1-node in-process cluster (acks=1, linger 0, 100-byte records, 3 s a run, each run its own process), the in-process transport yielding after 64 requests or 2 ms a turn (`src/transport/turn-budget.ts`). The load average is the machine\'s (2 cores, shared).';
  return `## Event loop under a producer flat out\n\n${intro}\n\n${table(['case', 'loop delay', 'turns', 'GC', 'rate', 'target'], rows)}\n`;
}
