"""Produces N records with idempotence on and delivery reports; prints which were
acknowledged (partition, offset, value) and which failed.

usage: producer.py BOOTSTRAP TOPIC COUNT [ACKS] [COMPRESSION] [DELAY_MS]"""
import sys
import time
from confluent_kafka import Producer
from common import base_config, report, sasl_config

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
acks = sys.argv[4] if len(sys.argv) > 4 else 'all'
compression = sys.argv[5] if len(sys.argv) > 5 else 'none'
delay_ms = float(sys.argv[6]) if len(sys.argv) > 6 else 0
conf = base_config(bootstrap, {
    'enable.idempotence': acks == 'all',
    'acks': acks,
    'compression.type': compression,
    'linger.ms': 5,
    # Bounds for a loaded machine (load 10 on 2 cores), where a failover that takes a second
    # idle can take a minute: a record is given up only after 5 minutes, and a ProduceRequest
    # waits a minute for its acks=all answer (librdkafka's defaults are 30 s for both, and
    # 120 s here timed messages out in combined runs). Retries stay librdkafka's (unbounded
    # in count, bounded by message.timeout.ms).
    'message.timeout.ms': 300000,
    'request.timeout.ms': 60000,
    'retry.backoff.ms': 100,
})
conf.update(sasl_config(None))
p = Producer(conf)
acked = []
failed = []


def on_delivery(err, msg):
    if err is not None:
        failed.append({'value': msg.value().decode(), 'error': str(err)})
    else:
        acked.append({'partition': msg.partition(), 'offset': msg.offset(), 'value': msg.value().decode()})


for i in range(count):
    while True:
        try:
            p.produce(topic, value=f"py-{i}".encode(), key=f"k{i % 7}".encode(), on_delivery=on_delivery)
            break
        except BufferError:
            p.poll(0.1)
    p.poll(0)
    if delay_ms:
        time.sleep(delay_ms / 1000)
        # Progress on stderr lets a test act midway (kill a leader).
        if i % 50 == 0:
            sys.stderr.write(f"sent {i}\n")
            sys.stderr.flush()
remaining = p.flush(330)
report({'acked': acked, 'failed': failed, 'unflushed': remaining})
