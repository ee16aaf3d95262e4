"""The timestamp type and timestamp librdkafka reads for each record of partition 0 of a
topic, from the beginning up to COUNT records: [[offset, type, timestamp], ...], type as
confluent_kafka names it (TIMESTAMP_CREATE_TIME or TIMESTAMP_LOG_APPEND_TIME). One JSON line.

usage: timestamp_types.py BOOTSTRAP TOPIC COUNT"""
import sys
import time
import confluent_kafka
from confluent_kafka import Consumer, TopicPartition
from common import base_config, report

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = {confluent_kafka.TIMESTAMP_CREATE_TIME: 'TIMESTAMP_CREATE_TIME', confluent_kafka.TIMESTAMP_LOG_APPEND_TIME: 'TIMESTAMP_LOG_APPEND_TIME',
         confluent_kafka.TIMESTAMP_NOT_AVAILABLE: 'TIMESTAMP_NOT_AVAILABLE'}
c = Consumer(base_config(bootstrap, {'group.id': topic + '-ts', 'enable.auto.commit': False}))
c.assign([TopicPartition(topic, 0, 0)])
out = []
deadline = time.time() + 120
while len(out) < count and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    kind, ts = m.timestamp()
    out.append([m.offset(), names.get(kind, kind), ts])
c.close()
report(out)
