/**
 * Splits the CPU profiles `bench/workers-pernode.ts` writes with `PROF=<dir>` into kinds of
 * work (`npx tsx bench/workers-account.ts <dir>`), thread by thread, as shares of each
 * thread's busy samples. A sample goes to the kind of the frame nearest its leaf that names
 * one (files in `src/util`, `src/record`, `src/protocol`, `src/storage` and node's own
 * modules go to their caller's kind; a storage frame with no caller that names a kind is
 * the produce path's append). `(garbage collector)` is GC on the thread itself,
 * `(program)` native work with no JS on the stack. Prints JSON lines `{file, busyMs, kinds}`.
 */
import { readFileSync, readdirSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

function kindOf(fn: string, url: string): string | undefined {
  const f = url.replace(/^.*\/src\//, 'src/');
  if (f.startsWith('src/client/')) return 'producer';
  if (f === 'src/cluster/relayed-produce.ts' || f === 'src/transport/inline.ts' || f === 'src/transport/turn-budget.ts') return 'relay';
  if (f.startsWith('src/transport/port/') || f === 'src/cluster/port-members.ts' || f === 'src/cluster/peer-transport.ts' || f === 'src/util/hand-over.ts') return 'port';
  if (f === 'src/node/peer-fetch.ts' || f === 'src/broker/replica-fetcher.ts') return 'replica fetch';
  if (f.startsWith('src/broker/') || f.startsWith('src/node/')) {
    if (/fetch|Fetch|readRecords|read$|Read/.test(fn)) return 'replica fetch';
    if (f.startsWith('src/node/')) return 'node glue';
    return 'broker produce';
  }
  if (f.startsWith('src/raft/') || f.startsWith('src/controller/') || f.startsWith('src/metadata/')) return 'raft/controller';
  if (f.startsWith('src/cluster/')) return 'cluster glue';
  if (f.startsWith('src/')) return undefined; // util, record, protocol, storage: the caller's
  if (/node:internal\/worker\/io|event_target|messageport|per_context\/messageport/.test(url)) return 'port';
  if (/node:internal\/timers/.test(url)) return 'timers';
  return undefined;
}

const dir = process.argv[2]!;
for (const file of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Profile;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const kinds = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const leaf = byId.get(p.samples[i]!)!;
    const name = leaf.callFrame.functionName;
    if (name === '(idle)' || (name === 'dispatch' && leaf.callFrame.url === '')) continue;
    const dt = p.timeDeltas[i] ?? 0;
    busy += dt;
    let kind: string | undefined;
    if (name === '(garbage collector)') kind = 'GC';
    else if (leaf.callFrame.url.includes('workers-probe.cjs')) kind = 'probe (harness)';
    else if (leaf.callFrame.url === '' && /^(writeBuffers?|writeString|fdatasync|fsync|open|close|ftruncate)$/.test(name)) kind = 'file writes';
    else if (leaf.callFrame.url === '' && name === 'postMessage') kind = 'port: postMessage (native)';
    else if (name === '(program)') kind = 'native, no JS';
    else {
      let sawStorage = false;
      let sawSrc = false;
      for (let id: number | undefined = leaf.id; id !== undefined && kind === undefined; id = parent.get(id)) {
        const n = byId.get(id)!;
        if (n.callFrame.url.includes('/src/storage/')) sawStorage = true;
        if (n.callFrame.url.includes('/src/')) sawSrc = true;
        kind = kindOf(n.callFrame.functionName, n.callFrame.url);
      }
      kind ??= sawStorage ? 'broker produce' : sawSrc ? 'shared code, no caller' : 'other JS (node, tsx, probe)';
    }
    kinds.set(kind, (kinds.get(kind) ?? 0) + dt);
  }
  if (busy < 20_000) continue;
  console.log(JSON.stringify({ file, busyMs: Math.round(busy / 1000), kinds: Object.fromEntries([...kinds].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +(v / busy).toFixed(4)])) }));
}
