import re, sys, collections, json
SHARED = ('src/util/', 'src/record/', 'src/protocol/', 'src/storage/')
def kind_of_js(fn, f):
    if f.startswith('src/client/'): return 'producer'
    if f in ('src/cluster/relayed-produce.ts', 'src/transport/inline.ts', 'src/transport/turn-budget.ts'): return 'relay'
    if f.startswith('src/transport/port/') or f in ('src/cluster/port-members.ts', 'src/cluster/peer-transport.ts', 'src/util/hand-over.ts'): return 'port: JS'
    if f in ('src/node/peer-fetch.ts', 'src/broker/replica-fetcher.ts'): return 'replica fetch'
    if f.startswith('src/broker/') or f.startswith('src/node/'):
        if re.search(r'fetch|Fetch|readRecords|Read$|^read', fn): return 'replica fetch'
        if f.startswith('src/node/'): return 'node glue'
        return 'broker produce'
    if f.startswith(('src/raft/', 'src/controller/', 'src/metadata/')): return 'raft/controller'
    if f.startswith('src/cluster/'): return 'cluster glue'
    return None
def classify(frames):
    syms = [s for s, d in frames]
    j = ' | '.join(syms)
    if re.search(r'v8::internal::(Heap::|Scavenger|ScavengerCollector|MarkCompact|ConcurrentMarking|Sweeper|MinorM|IncrementalMarking|MarkingVisitor|GCTracer|ArrayBufferSweeper|ScavengeJob|MemoryReducer|LocalHeap::|MainMarkingVisitor|ConcurrentMarkingVisitor|PagedSpace|Evacuat|.*Collector)', j) or 'Heap::CollectGarbage' in j:
        return 'GC'
    if re.search(r'v8::internal::(Compiler|interpreter::|compiler::|maglev::|baseline::|Parser|OptimizingCompileDispatcher|Baseline|ScriptCompiler|Runtime_CompileLazy|Runtime_CompileOptimized|Runtime_CompileBaseline)', j):
        return 'JIT/compile'
    if re.search(r'node::worker::(MessagePort::PostMessage|Message::Serialize)', j): return 'port: post (serialize, transfer, wake)'
    if re.search(r'node::worker::(MessagePort::ReceiveMessage|Message::Deserialize)', j): return 'port: receive (deserialize)'
    if re.search(r'node::fs::|uv_fs_|uv__fs_', j): return 'file I/O'
    # innermost JS frame with a kind (shared code -> caller)
    saw_storage = False; saw_src = False; first_js = None
    for s in syms:
        m = re.match(r'JS:\S?(\S*) (\S+)', s)
        if not m: 
            continue
        fn, url = m.group(1), m.group(2)
        if first_js is None: first_js = url
        mm = re.search(r'/src/(.*\.ts)', url)
        if mm:
            f = 'src/' + mm.group(1)
            saw_src = True
            if f.startswith('src/storage/'): saw_storage = True
            k = kind_of_js(fn, f)
            if k: return k
            continue
        if 'workers-probe' in url: return 'probe (harness)'
        if re.search(r'node:internal/(worker/io|event_target|per_context/messageport)', url): return 'port: JS'
        if 'node:internal/timers' in url: return 'timers'
    if saw_storage: return 'broker produce'
    if saw_src: return 'shared code, no caller'
    if first_js: return 'other JS (node internals)'
    if re.search(r'epoll_wait|uv__io_poll|futex|schedule|finish_task_switch|uv_run|__x64_sys_epoll|do_epoll', j): return 'native: event loop, sleep/wake'
    if re.search(r'uv_async_send|eventfd', j): return 'native: wake another thread'
    return 'native, other'

def parse(path):
    blocks = open(path, errors='replace').read().split('\n\n')
    out = []
    for b in blocks:
        lines = [l for l in b.split('\n') if l.strip()]
        if not lines: continue
        h = lines[0].split()
        tid = h[-1]
        frames = []
        for l in lines[1:]:
            m = re.match(r'\s*[0-9a-f]+ (.*) \(([^)]*)\)\s*$', l)
            if m: frames.append((m.group(1), m.group(2)))
        out.append((tid, frames))
    return out

if __name__ == '__main__':
    path, pid = sys.argv[1], sys.argv[2]
    smp = parse(path)
    per = collections.defaultdict(collections.Counter)
    for tid, fr in smp: per[tid][classify(fr)] += 1
    res = {}
    for tid, c in sorted(per.items(), key=lambda x: -sum(x[1].values())):
        n = sum(c.values())
        res[tid] = {'n': n, 'kinds': {k: round(v / n, 4) for k, v in c.most_common()}}
    print(json.dumps(res))
