import json, subprocess, sys
sys.path.insert(0, '/tmp/acct')
EXCL = set(sys.argv[1].split(',')) if len(sys.argv) > 1 else set()
import glob, re, collections
from perfcls import parse, classify
def shares(mode):
    acc = {'main': collections.Counter(), 'node': collections.Counter(), 'helper': collections.Counter()}
    used = []
    for f in sorted(glob.glob(f'/tmp/acct/perf-{mode}-*.script')):
        name = f.split('/')[-1].replace('.script', '')
        if name in EXCL: continue
        txt = open(f.replace('.script', '.txt')).read()
        m = re.search(r'main\s+(\d+)', txt)
        if not m: continue
        used.append(name)
        pid = m.group(1)
        smp = parse(f)
        counts = collections.Counter(t for t, _ in smp)
        others = [t for t, _ in counts.most_common() if t != pid]
        nodes = set(others[:3]) if mode == 'per-node' else set()
        for tid, fr in smp:
            if any('do_unlinkat' in x for x, _ in fr): continue
            role = 'main' if tid == pid else 'node' if tid in nodes else 'helper'
            acc[role][classify(fr)] += 1
    return used, {r: {k: v / max(1, sum(c.values())) for k, v in c.items()} for r, c in acc.items()}, {r: sum(c.values()) for r, c in acc.items()}
agg = json.load(open('/tmp/acct/agg.json'))
cpu = {}
for mode in ('per-node', 'inline'):
    rs = [v for k, v in agg.items() if k.startswith(mode)]
    cpu[mode] = {'main': sum(r['main'] for r in rs) / 3, 'node': sum(sum(r['each']) for r in rs) / 3, 'helper': sum(r['other'] for r in rs) / 3}
ROWS = [
 ('producer', ['producer']),
 ('relay (calling thread: relayed-produce, InlineTransport)', ['relay']),
 ('port JS (port-transport/-server, messages.ts, PeerTransport, node event_target)', ['port: JS']),
 ('port post, native (serialize, transfer, eventfd wake)', ['port: post (serialize, transfer, wake)']),
 ('port receive, native (deserialize)', ['port: receive (deserialize)']),
 ('broker produce path (KafkaApis, validation, append, acks)', ['broker produce']),
 ('replica fetch (leader answer + follower fetcher, peer-fetch)', ['replica fetch']),
 ('node/cluster glue (node-endpoint, node-worker)', ['node glue', 'cluster glue']),
 ('Raft, controller, metadata', ['raft/controller']),
 ('file I/O (write syscalls, page cache)', ['file I/O']),
 ('timers', ['timers']),
 ('GC on the JS thread', ['GC']),
 ('JIT on the JS thread', ['JIT/compile']),
 ('native: event loop, sleep/wake (epoll, switches, microtask plumbing)', ['native: event loop, sleep/wake', 'native: wake another thread']),
 ('native, other (malloc/free, unresolved)', ['native, other']),
 ('other JS (node internals, shared code with no caller, probe)', ['other JS (node internals)', 'shared code, no caller', 'probe (harness)']),
]
HROWS = [('helpers: GC (parallel scavenge, concurrent mark, sweep)', ['GC']), ('helpers: JIT/compile', ['JIT/compile']), ('helpers: other (idle loop, malloc)', ['native: event loop, sleep/wake', 'native, other', 'other JS (node internals)', 'native: wake another thread', 'file I/O'])]
S = {}
for mode in ('per-node', 'inline'):
    used, sh, n = shares(mode)
    S[mode] = sh
    print(mode, 'perf runs', used, 'samples', n, 'cpu', {k: round(v) for k, v in cpu[mode].items()}, file=sys.stderr)
def val(mode, role, kinds):
    return cpu[mode][role] * sum(S[mode][role].get(k, 0) for k in kinds)
print('| kind | per-node: calling thread | per-node: 3 node workers | per-node total | inline (one thread) | extra |')
print('| --- | ---: | ---: | ---: | ---: | ---: |')
tp = ti = 0
for name, kinds in ROWS:
    a = val('per-node', 'main', kinds); b = val('per-node', 'node', kinds); c = val('inline', 'main', kinds)
    tp += a + b; ti += c
    print(f'| {name} | {a:.0f} | {b:.0f} | {a+b:.0f} | {c:.0f} | {a+b-c:+.0f} |')
for name, kinds in HROWS:
    a = val('per-node', 'helper', kinds); c = val('inline', 'helper', kinds)
    tp += a; ti += c
    print(f'| {name} | | | {a:.0f} | {c:.0f} | {a-c:+.0f} |')
print(f'| **all** | {cpu["per-node"]["main"]:.0f} | {cpu["per-node"]["node"]:.0f} | **{tp:.0f}** | **{ti:.0f}** | **{tp-ti:+.0f}** |')
