/**
 * Summarizes the CPU profiles `bench/workers-pernode.ts` writes with `PROF=<dir>`
 * (`npx tsx bench/workers-profile.ts <dir> [top]`): for each thread, its busy time (samples
 * that are not `(idle)`), then the functions with the most self time (share of busy), and
 * the same summed by file, so a reader sees which module a thread's time goes to.
 */
import { readFileSync, readdirSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const dir = process.argv[2]!;
const top = Number(process.argv[3] ?? 25);
for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i] ?? 0;
    const fn = n.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)') continue;
    busy += dt;
    const file = n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/') || fn;
    const key = `${fn} ${file}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    files.set(file, (files.get(file) ?? 0) + dt);
  }
  const pct = (x: number): string => ((100 * x) / busy).toFixed(1).padStart(5);
  console.log(`\n== ${f}: busy ${(busy / 1000).toFixed(0)} ms`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}%  ${k}`);
  console.log('  -- by file');
  for (const [k, v] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(v)}%  ${k}`);
}

/** `WHO=<function name>`: the call paths into that function (by self time), up to 8 frames. */
const who = process.env.WHO;
if (who !== undefined) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
    const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as Profile;
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const paths = new Map<string, number>();
    for (let i = 0; i < p.samples.length; i++) {
      let id: number | undefined = p.samples[i]!;
      const chain: string[] = [];
      let hit = false;
      while (id !== undefined && chain.length < 40) {
        const n = byId.get(id)!;
        if (n.callFrame.functionName === who) hit = true;
        if (hit) chain.push(n.callFrame.functionName || '(anon)');
        id = parent.get(id);
      }
      if (!hit) continue;
      const key = chain.slice(0, 8).join(' < ');
      paths.set(key, (paths.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
    if (paths.size === 0) continue;
    console.log(`\n== ${f}: into ${who}`);
    for (const [k, v] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${(v / 1000).toFixed(1).padStart(7)} ms  ${k}`);
  }
}

/**
 * `INCL=<share>`: inclusive time (self and callees, each function counted once a sample)
 * over the last `<share>` of each profile's samples, for `--cpu-prof` profiles that span a
 * whole run (the warm-up left out).
 */
const incl = process.env.INCL;
if (incl !== undefined) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
    const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as Profile;
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const from = Math.floor(p.samples.length * (1 - Number(incl)));
    const total = new Map<string, number>();
    let busy = 0;
    for (let i = from; i < p.samples.length; i++) {
      const leaf = byId.get(p.samples[i]!)!;
      if (leaf.callFrame.functionName === '(idle)' || (leaf.callFrame.functionName === 'dispatch' && leaf.callFrame.url === '')) continue; // a profile started through an in-thread inspector session shows idle as its `dispatch`
      const dt = p.timeDeltas[i] ?? 0;
      busy += dt;
      const seen = new Set<string>();
      for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
        const n = byId.get(id)!;
        const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total.set(key, (total.get(key) ?? 0) + dt);
      }
    }
    if (busy < 50_000) continue;
    console.log(`\n== ${f}: busy ${(busy / 1000).toFixed(0)} ms in the last ${incl} (inclusive)`);
    for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  }
}
