"""auto.offset.reset for an offset below the log start: a topic partition whose records
0..9 were written and 0..4 deleted (log start 5). For each policy the consumer is assigned
offset 2 and reads what comes: earliest from the log start, latest a record produced after
it started (never an older one), error an error event. Also a group member whose committed
offset (2) is below the log start, with earliest. One JSON line.

usage: fetch_reset.py BOOTSTRAP TOPIC"""
import sys
import time
from confluent_kafka import Consumer, Producer, TopicPartition
from common import base_config, report

bootstrap, topic = sys.argv[1], sys.argv[2]
out = {}


def consumer(group, **extra):
    return Consumer(base_config(bootstrap, {'group.id': group, 'enable.auto.commit': False, **extra}))


def next_record(c, timeout_s=60):
    """(offset, value) of the next record, ['error', name] of the next error, or None."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            return ['error', m.error().name()]
        return [m.offset(), m.value().decode()]
    return None


for reset in ['earliest', 'latest', 'error']:
    c = consumer(topic + '-assign', **{'auto.offset.reset': reset})
    c.assign([TopicPartition(topic, 0, 2)])
    if reset == 'latest':
        p = Producer(base_config(bootstrap))
        first = None
        for _ in range(30):
            p.produce(topic, b'late', partition=0)
            p.flush(60)
            first = next_record(c, 2)
            if first is not None:
                break
        out['reset_latest'] = [first[0] >= 10, first[1]] if first else None
    else:
        out['reset_' + reset] = next_record(c)
    c.close()

# A group member whose committed offset is below the log start.
c = consumer(topic + '-group', **{'auto.offset.reset': 'earliest'})
c.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
c.subscribe([topic])
out['group_committed_below_start'] = next_record(c)
c.close()
report(out)
