import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaseResult, fmt, runCase, table } from './lib.js';

const cases = './storage-cases.ts';

/** Fills a log to `mib` MiB in a child, SIGKILLs it while it is still appending, and times the reopen in another child. */
async function reopenAfterKill(dir: string, mib: number): Promise<CaseResult> {
  const path = fileURLToPath(new URL(cases, import.meta.url));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path, 'fill', dir, String(mib)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('"filled"')) setTimeout(() => child.kill('SIGKILL'), 20);
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`fill exited ${code}`))));
  });
  return runCase(cases, ['reopen', dir]);
}

function clean(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

export async function storageBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  try {
    const ceiling = await runCase(cases, ['ceiling', dir]);
    clean(dir);
    const log = await runCase(cases, ['append-read', dir]);
    clean(dir);
    const fsync = await runCase(cases, ['fdatasync', dir]);
    const one = await runCase(cases, ['always-1', dir]);
    const many = await runCase(cases, ['always-64', dir]);
    clean(dir);
    const reopen = await reopenAfterKill(dir, 1024);
    const c = ceiling.recordsPerSec as number;
    const cRead = ceiling.readRecordsPerSec as number;
    const append = log.appendRecordsPerSec as number;
    const read = log.readRecordsPerSec as number;
    const cpu = (ns: number | string | undefined): string => `${fmt(ns as number)} ns CPU/rec`;
    const rows: (string | number)[][] = [
      ['ceiling: the same batch bytes, one fs.writeSync a batch', `${fmt(c)} rec/s, ${fmt(ceiling.mbPerSec as number)} MB/s, ${cpu(ceiling.cpuPerRecordNs)}`, '1.00', '', ceiling.peakRssMiB as number],
      ['PartitionLog append, the same batches of 1,000 (flush os)', `${fmt(append)} rec/s, ${fmt(log.appendMbPerSec as number)} MB/s, ${cpu(log.appendCpuPerRecordNs)}`, (append / c).toFixed(2), `>= 0.40 of ceiling: ${append / c >= 0.4 ? 'met' : 'MISSED'}`, log.peakRssMiB as number],
      ["read ceiling: the ceiling's file, fs.readSync into a reused 1 MiB buffer", `${fmt(cRead)} rec/s, ${cpu(ceiling.readCpuPerRecordNs)}`, '1.00 (read)', '', ceiling.peakRssMiB as number],
      ['PartitionLog read from start, into a reused 1 MiB buffer', `${fmt(read)} rec/s, ${cpu(log.readCpuPerRecordNs)}`, `${(read / cRead).toFixed(2)} (read)`, `>= append: ${read >= append ? 'met' : 'MISSED'}`, log.peakRssMiB as number],
      ['PartitionLog read from start, a fresh buffer per read', `${fmt(log.readFreshRecordsPerSec as number)} rec/s`, `${((log.readFreshRecordsPerSec as number) / cRead).toFixed(2)} (read)`, '', log.peakRssMiB as number],
      ['(batch encoding, producer side, for reference)', `${fmt(log.encodeRecordsPerSec as number)} rec/s`, ((log.encodeRecordsPerSec as number) / c).toFixed(2), '', ''],
      ['fdatasync of 4 KiB on this disk', `${fmt(fsync.perSec as number)} /s, p50 ${fmt(fsync.p50Ms as number, 2)} ms, p99 ${fmt(fsync.p99Ms as number, 2)} ms`, '', '', fsync.peakRssMiB as number],
      ['flush always, 1 appender, single records', `${fmt(one.recordsPerSec as number)} rec/s, p50 ${fmt(one.p50Ms as number, 2)} ms, p99 ${fmt(one.p99Ms as number, 2)} ms, ${fmt(one.recordsPerSync as number, 1)} rec/sync`, ((one.recordsPerSec as number) / (fsync.perSec as number)).toFixed(2) + ' of fsync rate', '', one.peakRssMiB as number],
      ['flush always, 64 appenders, single records', `${fmt(many.recordsPerSec as number)} rec/s, p50 ${fmt(many.p50Ms as number, 2)} ms, p99 ${fmt(many.p99Ms as number, 2)} ms, ${fmt(many.recordsPerSync as number, 1)} rec/sync`, ((many.recordsPerSec as number) / (fsync.perSec as number)).toFixed(2) + ' of fsync rate', `>= 50 rec/sync: ${(many.recordsPerSync as number) >= 50 ? 'met' : 'MISSED'}`, many.peakRssMiB as number],
      [`reopen a ${fmt((reopen.bytes as number) / 2 ** 30, 2)} GiB log after SIGKILL`, `${fmt(reopen.ms as number)} ms (${reopen.batchesScanned} batches scanned, ${reopen.bytesTruncated} bytes truncated)`, '', `< 2000 ms: ${(reopen.ms as number) < 2000 ? 'met' : 'MISSED'}`, reopen.peakRssMiB as number],
    ];
    return `## Storage (100-byte records)\n\n${table(['case', 'figure', 'ratio', 'target', 'peak RSS MiB'], rows)}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
