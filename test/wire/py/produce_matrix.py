"""Producer behaviours, one JSON line: every compression type with headers and
idempotence, null keys and values, acks 0 and 1, a record just under and just over the
topic's max.message.bytes, and each record read back by a Consumer (headers included).

usage: produce_matrix.py BOOTSTRAP TOPIC MAX_MESSAGE_BYTES"""
import os
import sys
import time
from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from common import base_config, report

bootstrap, topic, max_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
cases = {}


def produce(name, conf, records):
    p = Producer(base_config(bootstrap, {'message.timeout.ms': 120000, 'request.timeout.ms': 60000, **conf}))
    out = []

    def on_delivery(err, msg):
        out.append({'error': err.name() if err else None, 'partition': msg.partition(), 'offset': msg.offset()})

    for r in records:
        p.produce(topic, partition=0, on_delivery=on_delivery, **r)
    left = p.flush(150)
    cases[name] = {'left': left, 'reports': out}


headers = [('trace', b'abc'), ('empty', b''), ('none', None)]
for codec in ['gzip', 'snappy', 'lz4', 'zstd', 'none']:
    produce(codec, {'compression.type': codec, 'enable.idempotence': True, 'linger.ms': 20},
            [{'key': b'k%d' % i, 'value': (b'%s-%d ' % (codec.encode(), i)) * 10, 'headers': headers} for i in range(20)])
produce('null-key', {}, [{'value': b'no key'}])
produce('null-value', {}, [{'key': b'tombstone', 'value': None}])
produce('acks1', {'acks': 1}, [{'value': b'acks1'}])
# A batch of one uncompressed record with no key or headers and a value of V bytes (V at
# least 8192, so its length takes 3 varint bytes) is V + 72 bytes: 61 of batch header and
# 11 of record framing. Kafka refuses a batch larger than max.message.bytes, so V = max - 72
# is the largest accepted. The client's own limit is raised so the broker decides.
big = {'message.max.bytes': max_bytes * 2, 'linger.ms': 0}
produce('largest', big, [{'value': b'u' * (max_bytes - 72)}])
produce('one-byte-over', big, [{'value': b'o' * (max_bytes - 71)}])
# Last: an acks=0 record has no delivery offset, and may reach the log after flush() returns.
produce('acks0', {'acks': 0}, [{'value': b'acks0'}])
expected = cases['largest']['reports'][0]['offset'] + 2

c = Consumer(base_config(bootstrap, {'group.id': topic + '-reader', 'enable.auto.commit': False, 'fetch.message.max.bytes': max_bytes * 2}))
c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
deadline = time.time() + 60
while True:
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=60)
    if hi >= expected or time.time() > deadline:
        break
    time.sleep(0.2)
read = []
deadline = time.time() + 120
while len(read) < hi - lo and time.time() < deadline:
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    h = m.headers()
    read.append({'offset': m.offset(), 'key': None if m.key() is None else m.key().decode(),
                 'size': None if m.value() is None else len(m.value()),
                 'headers': None if h is None else [[k, None if v is None else v.decode()] for k, v in h]})
c.close()
report({'cases': cases, 'high': hi, 'read': read})
# confluent-kafka-python 1.7.0 frees None header values twice and aborts at interpreter exit
# ("none_dealloc"); the result is printed, so leave without finalizing.
os._exit(0)
