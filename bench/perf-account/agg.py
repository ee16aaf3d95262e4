import json, re, subprocess, sys, glob
runs = {}
for m in ['per-node', 'inline']:
    for i in (1, 2, 3):
        txt = open(f'/tmp/acct/{m}-{i}.txt').read()
        w1 = [l for l in txt.splitlines() if re.match(r'\s+1\s+\d', l)][0]
        nums = re.findall(r'\d+(?:\.\d+)?', w1)
        # window s rec/s cores all main nodes (each...) other
        rate, cores, allns, main = int(nums[2]), float(nums[3]), int(nums[4]), int(nums[5])
        each = [int(x) for x in re.search(r'\(([^)]*)\)', w1).group(1).split()]
        other = int(nums[-1])
        # tids: main from probe list; node workers = those with posts > 0
        lines = txt.split('last window')[1].splitlines()
        tids = {}
        gc = {}
        for l in lines:
            mm = re.match(r'\s+(main|node)\s+(\d+)\s+\S+\s+(\d+) ns/rec.*posts ([\d.]+).*gc ([\d.]+) pauses, (\d+) ns/rec \((.*)\)', l)
            if mm:
                role, tid, _, posts, gcn, gcns, kinds = mm.groups()
                if role == 'main' or float(posts) > 0:
                    tids[tid] = role
                    gc[tid] = (float(gcn), int(gcns), kinds)
        out = subprocess.run(['npx', 'tsx', 'bench/workers-account.ts', f'/tmp/acct/{m}-{i}'], capture_output=True, text=True).stdout
        profs = {}
        for l in out.splitlines():
            d = json.loads(l)
            tid = d['file'].split('-')[1].split('.')[0]
            profs[tid] = d
        runs[(m, i)] = dict(rate=rate, cores=cores, all=allns, main=main, each=[e for e in each if e > 5], other=other, tids=tids, gc=gc, profs=profs)
json.dump({f'{k[0]}-{k[1]}': v for k, v in runs.items()}, open('/tmp/acct/agg.json', 'w'), indent=1)
for k, r in runs.items():
    print(k, r['rate'], r['cores'], 'all', r['all'], 'main', r['main'], 'nodes', r['each'], 'other', r['other'])
    for tid, role in r['tids'].items():
        p = r['profs'].get(tid)
        print('  ', role, tid, 'gc', r['gc'][tid], 'busy', p and p['busyMs'])
