"""zstd batches through the leader's decompress-ahead path (the every-record timestamp
check): an idempotent zstd Producer with 5 requests in flight sends N records with keys
into TOPIC (3 partitions), then each record is read back with check.crcs; a zstd batch
holding one record two hours ahead of the broker's clock is refused whole; gzip, zstd and
uncompressed producers, one after another, into CONVERT_TOPIC (compression.type=zstd).

Prints {acked, errors, dense, read, distinct, ahead: [error names], converted: {codec: count},
in_order}.

usage: zstd_ahead.py BOOTSTRAP TOPIC CONVERT_TOPIC N"""
import sys
import time
from confluent_kafka import Consumer, Producer, TopicPartition
from common import base_config, report

bootstrap, topic, convert_topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
out = {}
offsets, errors = {}, []


def delivered(err, m):
    if err is not None:
        errors.append(err.name())
    else:
        offsets.setdefault(m.partition(), []).append(m.offset())


p = Producer(base_config(bootstrap, {'enable.idempotence': True, 'compression.codec': 'zstd', 'linger.ms': 2,
                                     'batch.num.messages': 50, 'max.in.flight': 5, 'message.timeout.ms': 120000}))
for i in range(n):
    while True:
        try:
            p.produce(topic, key=b'%d' % i, value=b'value-%08d' % i, on_delivery=delivered)
            break
        except BufferError:
            p.poll(0.1)
    if i % 500 == 0:
        p.poll(0)
p.flush(120)
out['acked'] = sum(len(v) for v in offsets.values())
out['errors'] = errors[:3]
out['dense'] = all(sorted(v) == list(range(len(v))) for v in offsets.values())


def read_all(t, partitions, expect):
    c = Consumer(base_config(bootstrap, {'group.id': 'zstd-ahead-' + t, 'check.crcs': True, 'enable.auto.commit': False}))
    c.assign([TopicPartition(t, q, 0) for q in range(partitions)])
    values = []
    deadline = time.time() + 120
    while len(values) < expect and time.time() < deadline:
        for m in c.consume(1000, 1.0):
            if m.error() is None:
                values.append(m.value())
    c.close()
    return values


values = read_all(topic, 3, n)
out['read'] = len(values)
out['distinct'] = len(set(values))

now_ms = int(time.time() * 1000)
ahead = []
p2 = Producer(base_config(bootstrap, {'compression.codec': 'zstd', 'linger.ms': 200, 'message.timeout.ms': 120000}))
for ts in (now_ms, now_ms + 2 * 3600 * 1000, now_ms):
    p2.produce(topic, value=b'ahead', partition=0, timestamp=ts, on_delivery=lambda err, m: ahead.append(err.name() if err else None))
p2.flush(120)
out['ahead'] = ahead

for codec in ('gzip', 'zstd', 'none'):
    p3 = Producer(base_config(bootstrap, {'enable.idempotence': True, 'compression.codec': codec, 'linger.ms': 1, 'batch.num.messages': 20}))
    for i in range(500):
        p3.produce(convert_topic, value=b'%s-%d' % (codec.encode(), i))
    p3.flush(120)
converted = read_all(convert_topic, 1, 1500)
counts, last, in_order = {}, {}, True
for v in converted:
    codec, i = v.decode().split('-')
    counts[codec] = counts.get(codec, 0) + 1
    in_order = in_order and last.get(codec, -1) == int(i) - 1
    last[codec] = int(i)
out['converted'] = counts
out['in_order'] = in_order
report(out)
