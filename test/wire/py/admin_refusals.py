"""AdminClient refusals and a consumer's stored offsets, each answer as librdkafka reports
it (error name or null):

- create_topics: a bad name, 0 partitions, a replication factor above the brokers, an
  unknown config, a bad config value, a broker twice in an assignment, an unregistered
  broker, an existing topic; validate_only creates nothing;
- create_partitions: an unknown topic, fewer, the same count, validate_only (no change),
  more assignments than new partitions;
- delete_topics of an unknown topic;
- a consumer with enable.auto.offset.store=false: committed() before any commit (-1001),
  store_offsets + commit(), committed() and position() after; list_groups while it runs
  and after it closes.

usage: admin_refusals.py BOOTSTRAP PREFIX"""
import sys
import time
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions
from common import base_config, report

bootstrap, prefix = sys.argv[1], sys.argv[2]
a = AdminClient(base_config(bootstrap))
out = {}


def outcomes(fs):
    r = {}
    for k, f in fs.items():
        try:
            f.result()
            r[k] = None
        except Exception as e:  # KafkaException carrying a KafkaError
            r[k] = e.args[0].name()
    return r


t = prefix + '-t'
out['create'] = outcomes(a.create_topics([
    NewTopic(t, 2, 1),
    NewTopic(prefix + ' bad', 1, 1),
    NewTopic(prefix + '-zero', 0, 1),
    NewTopic(prefix + '-rf', 1, 5),
    NewTopic(prefix + '-unknown-config', 1, 1, config={'no.such.config': '1'}),
    NewTopic(prefix + '-bad-value', 1, 1, config={'retention.ms': 'soon'}),
    NewTopic(prefix + '-twice', 2, replica_assignment=[[1, 1], [2, 3]]),
    NewTopic(prefix + '-unregistered', 1, replica_assignment=[[9]]),
], operation_timeout=30))
out['create_again'] = outcomes(a.create_topics([NewTopic(t, 2, 1)], operation_timeout=30))
out['validate_only'] = outcomes(a.create_topics([NewTopic(prefix + '-validated', 3, 1)], validate_only=True))
time.sleep(0.5)
md = a.list_topics(timeout=30)
out['validated_exists'] = (prefix + '-validated') in md.topics
out['partitions'] = {
    'unknown': outcomes(a.create_partitions([NewPartitions(prefix + '-none', 3)]))[prefix + '-none'],
    'fewer': outcomes(a.create_partitions([NewPartitions(t, 1)]))[t],
    'same': outcomes(a.create_partitions([NewPartitions(t, 2)]))[t],
    'validate_only': outcomes(a.create_partitions([NewPartitions(t, 4)], validate_only=True))[t],
    'assignments': outcomes(a.create_partitions([NewPartitions(t, 3, replica_assignment=[[1], [2]])]))[t],
}
out['partition_count'] = len(a.list_topics(t, timeout=30).topics[t].partitions)
out['delete_unknown'] = outcomes(a.delete_topics([prefix + '-none'], operation_timeout=30))

p = Producer(base_config(bootstrap, {'linger.ms': 0}))
for i in range(10):
    p.produce(t, value=b'%d' % i, partition=i % 2)
p.flush(60)
group = prefix + '-g'
c = Consumer(base_config(bootstrap, {'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'enable.auto.offset.store': False}))
tps = [TopicPartition(t, 0), TopicPartition(t, 1)]
out['committed_before'] = [x.offset for x in c.committed(tps, timeout=30)]
c.subscribe([t])
seen = 0
deadline = time.time() + 120
while seen < 10 and time.time() < deadline:
    m = c.poll(1.0)
    if m is None or m.error() is not None:
        continue
    seen += 1
    if m.partition() == 0 or m.offset() < 2:  # store all of partition 0, only the first two of partition 1
        c.store_offsets(m)
out['read'] = seen
out['commit'] = sorted((x.partition, x.offset) for x in c.commit(asynchronous=False))
out['committed_after'] = [x.offset for x in c.committed(tps, timeout=30)]
out['position'] = [x.offset for x in c.position(tps)]
out['group_running'] = [(g.state, g.protocol_type, g.protocol, len(g.members)) for g in a.list_groups(group, timeout=30)]
c.close()
out['group_closed'] = [(g.state, g.protocol_type, g.protocol, len(g.members)) for g in a.list_groups(group, timeout=30)]
report(out)
