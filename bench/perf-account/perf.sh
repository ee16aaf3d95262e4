cd /work/wt/account
m=$1; i=$2
out=/tmp/acct/perf-$m-$i
WARMUP_CALLS=3000 CALLS=1000 WINDOWS=${WIN:-8} node --perf-basic-prof --interpreted-frames-native-stack --require ./bench/workers-probe.cjs --import tsx bench/workers-pernode.ts $m > $out.txt 2>&1 &
pid=$!
sleep 6
perf record -e cpu-clock -F 1999 -g -p $pid -o $out.data -- sleep 4 > $out.perf.log 2>&1
wait $pid
perf script -i $out.data -F tid,comm,ip,sym,dso 2> /dev/null > $out.script
echo fin >> $out.txt
