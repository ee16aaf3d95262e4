"""A consumer in a group that reads until it has COUNT records (or times out), commits
synchronously, and prints what it read and the committed offsets read back.

usage: consumer.py BOOTSTRAP TOPIC GROUP COUNT [TIMEOUT_S]"""
import sys
import time
from confluent_kafka import Consumer, TopicPartition
from common import base_config, report, sasl_config

bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 120
conf = base_config(bootstrap, {
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': False,
    'session.timeout.ms': 30000,
})
conf.update(sasl_config(None))
c = Consumer(conf)
c.subscribe([topic])
values = []
positions = {}
errors = []
deadline = time.time() + timeout_s
while len(values) < count and time.time() < deadline:
    msg = c.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        errors.append(str(msg.error()))
        continue
    values.append(msg.value().decode())
    positions[msg.partition()] = msg.offset() + 1
commit = [TopicPartition(topic, p, o) for p, o in positions.items()]
if commit:
    c.commit(offsets=commit, asynchronous=False)
committed = c.committed([TopicPartition(topic, p) for p in positions], timeout=60)
report({
    'values': values,
    'errors': errors,
    'committed': {str(tp.partition): tp.offset for tp in committed},
    'assignment': [tp.partition for tp in c.assignment()],
})
c.close()
