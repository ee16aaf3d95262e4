"""Static membership (KIP-345) with librdkafka, one JSON line:
- a member with group.instance.id 'i1' owns every partition of TOPIC; a second live consumer
  with the same id takes its place (Kafka fences the first: FENCED_INSTANCE_ID, which
  librdkafka reports as a fatal _FENCED error) and gets the same partitions;
- the first's later commit fails, the second's succeeds and is read back.

usage: static_fencing.py BOOTSTRAP TOPIC GROUP"""
import sys
import time
from confluent_kafka import Consumer, KafkaException, TopicPartition
from common import base_config, report

bootstrap, topic, group = sys.argv[1:4]
errors = {'first': [], 'second': []}


def member(name):
    def on_error(err):
        errors[name].append([err.name(), err.fatal(), err.str()])
    conf = {'group.id': group, 'client.id': name, 'group.instance.id': 'i1',
            'session.timeout.ms': 30000, 'auto.offset.reset': 'earliest',
            'enable.auto.commit': False, 'error_cb': on_error}
    c = Consumer(base_config(bootstrap, conf))
    c.subscribe([topic])
    return c


def owned(c):
    return sorted(p.partition for p in c.assignment())


def pump(consumers, until, timeout_s=120):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for c in consumers:
            try:
                m = c.poll(0.1)
                if m is not None and m.error() is not None:
                    errors['first' if c is consumers[0] else 'second'].append([m.error().name(), m.error().fatal(), m.error().str()])
            except KafkaException as e:
                errors['first' if c is consumers[0] else 'second'].append([e.args[0].name(), e.args[0].fatal(), e.args[0].str()])
        if until():
            return True
    return False


first = member('first')
out = {'first_owns': pump([first], lambda: owned(first) == [0, 1])}
out['first'] = owned(first)
second = member('second')
out['second_owns'] = pump([first, second], lambda: owned(second) == [0, 1])
# The first learns it was fenced on its next request to the coordinator (its heartbeat).
out['first_fenced'] = pump([first, second], lambda: len(errors['first']) > 0)
out['second'] = owned(second)
try:
    first.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    out['first_commit'] = 'ok'
except KafkaException as e:
    out['first_commit'] = e.args[0].name()
second.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
out['committed'] = [p.offset for p in second.committed([TopicPartition(topic, 0)], timeout=30)]
out['errors'] = errors
report(out)
second.close()
