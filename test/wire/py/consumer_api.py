"""The Consumer's partition API on one topic partition that holds records 0..19 with
timestamps T0 + 1000*i, one JSON line: watermarks, list_topics, assign and position,
commit and committed (also for a topic and a partition that do not exist), offsets_for_times,
seek, pause and resume, incremental_assign and incremental_unassign, and auto.offset.reset
earliest, latest and error for an offset past the end.

usage: consumer_api.py BOOTSTRAP TOPIC T0"""
import sys
import time
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from common import base_config, report

bootstrap, topic, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {}


def consumer(**extra):
    return Consumer(base_config(bootstrap, {'group.id': topic + '-api', 'enable.auto.commit': False,
                                            'auto.offset.reset': 'earliest', **extra}))


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


c = consumer()
md = c.list_topics(topic, timeout=60)
out['partitions'] = sorted(md.topics[topic].partitions)
out['brokers'] = len(md.brokers)
out['watermarks'] = list(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=60))
c.assign([TopicPartition(topic, 0, 5)])
out['first_after_assign_at_5'] = next_record(c)
out['position'] = c.position([TopicPartition(topic, 0)])[0].offset
c.commit(offsets=[TopicPartition(topic, 0, 7)], asynchronous=False)
out['committed'] = c.committed([TopicPartition(topic, 0)], timeout=60)[0].offset
errors = {}
for name, tp in [('unknown_topic', TopicPartition(topic + '-missing', 0, 1)), ('unknown_partition', TopicPartition(topic, 9, 1))]:
    try:
        c.commit(offsets=[tp], asynchronous=False)
        errors[name] = None
    except KafkaException as e:
        errors[name] = e.args[0].name()
out['commit_errors'] = errors
found = c.offsets_for_times([TopicPartition(topic, 0, t0 + 12_500)], timeout=60)[0]
out['offset_for_time'] = found.offset
out['offset_for_future_time'] = c.offsets_for_times([TopicPartition(topic, 0, t0 + 3_600_000)], timeout=60)[0].offset
c.seek(TopicPartition(topic, 0, 3))
out['after_seek_3'] = next_record(c)
c.pause([TopicPartition(topic, 0)])
paused = next_record(c, 3)
c.resume([TopicPartition(topic, 0)])
out['while_paused'] = paused
out['after_resume'] = next_record(c)
c.incremental_assign([TopicPartition(topic, 1, 0)])
out['incremental_assign'] = sorted(tp.partition for tp in c.assignment())
c.incremental_unassign([TopicPartition(topic, 0)])
out['incremental_unassign'] = sorted(tp.partition for tp in c.assignment())
c.close()

# An offset past the end, with each auto.offset.reset. For latest, records are produced
# until one is read: it must be one of them (offset 20 or later), never an older record.
for reset in ['earliest', 'latest', 'error']:
    c = consumer(**{'auto.offset.reset': reset})
    c.assign([TopicPartition(topic, 0, 1000)])
    if reset == 'latest':
        p = Producer(base_config(bootstrap))
        first = None
        for _ in range(30):
            p.produce(topic, b'late', partition=0)
            p.flush(60)
            first = next_record(c, 2)
            if first is not None:
                break
        out['reset_latest'] = [first[0] >= 20, first[1]] if first else None
    else:
        out['reset_' + reset] = next_record(c)
    c.close()
report(out)
