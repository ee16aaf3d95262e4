"""Every codec into topics of several compression.type values, read back: one JSON line.

For each topic, one idempotent Producer per codec sends 10 records with headers (an empty
value and a None value among them) to partition 0, then a Consumer reads the topic from
the beginning with check.crcs on, so every batch the broker rebuilt is checked by
librdkafka's own CRC-32C.

usage: compression_type.py BOOTSTRAP TOPIC..."""
import os
import sys
from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from common import base_config, report

bootstrap, topics = sys.argv[1], sys.argv[2:]
codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
headers = [('trace', b'abc'), ('empty', b''), ('none', None)]
out = {}
for topic in topics:
    reports = []

    def on_delivery(err, msg):
        reports.append({'error': err.name() if err else None, 'offset': msg.offset()})

    for codec in codecs:
        p = Producer(base_config(bootstrap, {'compression.type': codec, 'enable.idempotence': True, 'linger.ms': 20,
                                             'message.timeout.ms': 120000, 'request.timeout.ms': 60000}))
        for i in range(10):
            p.produce(topic, partition=0, key=b'%s-%d' % (codec.encode(), i), value=(b'%s value %d ' % (codec.encode(), i)) * 10,
                      headers=headers, timestamp=1700000000000 + i, on_delivery=on_delivery)
        p.flush(150)
    c = Consumer(base_config(bootstrap, {'group.id': 'py-ct-' + topic, 'enable.auto.commit': False, 'check.crcs': True}))
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    read = []
    errors = []
    while len(read) < len(codecs) * 10:
        m = c.poll(30)
        if m is None:
            break
        if m.error():
            errors.append(m.error().name())
            continue
        hs = m.headers()
        read.append({'offset': m.offset(), 'key': m.key().decode(), 'value': m.value().decode(), 'timestamp': m.timestamp()[1],
                     'headers': [[k, None if v is None else v.decode()] for k, v in hs] if hs else None})
    c.close()
    out[topic] = {'reports': reports, 'read': read, 'errors': errors}
report(out)
sys.stdout.flush()
# confluent-kafka-python 1.7.0 aborts at exit after consuming a None header (docs/design/real-clients.md).
os._exit(0)
