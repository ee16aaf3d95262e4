"""Two group consumers on a 3-partition topic with one assignor, then one leaves, one JSON
line: each member's assignment while both are in, the survivor's after the other closed,
and the rebalance callbacks in order. With STATIC, both have a group.instance.id and the
second is replaced by a new consumer with the same id instead of leaving: the replacement
gets the same partitions and the first member sees no rebalance.

usage: group_assignors.py BOOTSTRAP TOPIC GROUP ASSIGNOR [STATIC]"""
import sys
import time
from confluent_kafka import Consumer
from common import base_config, report

bootstrap, topic, group, assignor = sys.argv[1:5]
static = len(sys.argv) > 5 and sys.argv[5] == 'static'
events = []


def member(name, instance=None):
    conf = {'group.id': group, 'client.id': name, 'partition.assignment.strategy': assignor,
            'session.timeout.ms': 30000, 'auto.offset.reset': 'earliest'}
    if instance:
        conf['group.instance.id'] = instance
    c = Consumer(base_config(bootstrap, conf))

    def on_assign(consumer, partitions):
        events.append([name, 'assign', sorted(p.partition for p in partitions)])
        if assignor == 'cooperative-sticky':
            consumer.incremental_assign(partitions)

    def on_revoke(consumer, partitions):
        events.append([name, 'revoke', sorted(p.partition for p in partitions)])
        if assignor == 'cooperative-sticky':
            consumer.incremental_unassign(partitions)

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return c


def owned(c):
    return sorted(p.partition for p in c.assignment())


def pump(consumers, until, timeout_s=120):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for c in consumers:
            c.poll(0.1)
        if until():
            return True
    return False


a = member('a', 'ia' if static else None)
pump([a], lambda: len(owned(a)) == 3)
b = member('b', 'ib' if static else None)
both = pump([a, b], lambda: owned(b) and sorted(owned(a) + owned(b)) == [0, 1, 2])
out = {'both': both, 'a': owned(a), 'b': owned(b)}
if static:
    b_before = owned(b)
    b.close()  # a static member sends no LeaveGroup
    events.append(['b', 'closed', []])
    b2 = member('b2', 'ib')
    out['replacement'] = pump([a, b2], lambda: owned(b2) == b_before)
    out['b2'] = owned(b2)
    b2.close()
else:
    b.close()
    events.append(['b', 'closed', []])
    out['after_leave'] = pump([a], lambda: owned(a) == [0, 1, 2])
out['a_final'] = owned(a)
out['events'] = list(events)  # before a's own close adds its revoke
a.close()
report(out)
