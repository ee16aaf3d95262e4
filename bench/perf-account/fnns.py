import sys, re, collections, glob
sys.path.insert(0,'/tmp/acct')
from perfcls import parse, classify
CPU={'per-node':698,'inline':507}
KINDS={'broker produce','replica fetch','node glue','raft/controller'}
res={}
for mode in ('per-node','inline'):
  tot=collections.Counter(); allrole=0
  for f in sorted(glob.glob(f'/tmp/acct/perf-{mode}-*.script')):
    if mode=='inline' and f.endswith(('-1.script','-2.script','-3.script')): continue
    txt=open(f.replace('.script','.txt')).read(); pid=re.search(r'main\s+(\d+)',txt).group(1)
    smp=parse(f); counts=collections.Counter(t for t,_ in smp)
    others=[t for t,_ in counts.most_common() if t!=pid]
    js=set(others[:3]) if mode=='per-node' else {pid}
    for tid,fr in smp:
      if tid not in js: continue
      allrole+=1
      if classify(fr) not in KINDS: continue
      for s,d in fr:
        m=re.match(r'JS:\S?(\S*) \S*/src/(\S+\.ts)',s)
        if m: tot[(m.group(2).replace('.ts',''), m.group(1) or '(anon)')]+=1; break
  res[mode]={k:v/allrole*CPU[mode] for k,v in tot.items()}
keys=sorted(set(res['per-node'])|set(res['inline']), key=lambda k: -(res['per-node'].get(k,0)-res['inline'].get(k,0)))
print('| function | per-node (3 workers) | inline | extra |'); print('| --- | ---: | ---: | ---: |')
for k in keys[:16]:
  a=res['per-node'].get(k,0); b=res['inline'].get(k,0); print(f'| `{k[0]}` {k[1]} | {a:.1f} | {b:.1f} | {a-b:+.1f} |')
print('sum', round(sum(res['per-node'].values())), round(sum(res['inline'].values())))
