"""AdminClient: create topics, describe and alter a topic's configs, list groups, delete topics.

usage: admin.py BOOTSTRAP TOPIC PARTITIONS [REPLICATION_FACTOR]"""
import sys
import time
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
from common import base_config, report, sasl_config

bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
replication = int(sys.argv[4]) if len(sys.argv) > 4 else 3
conf = base_config(bootstrap)
conf.update(sasl_config(None))
a = AdminClient(conf)
out = {}
futures = a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=replication,
                                    config={'retention.ms': '3600000'})], operation_timeout=60, request_timeout=60)
futures[topic].result()
# Every broker learns of the new topic from the metadata log a moment after the controller
# answers (as in Kafka), and list_topics may ask another broker: look until it has them all.
deadline = time.time() + 60
while True:
    md = a.list_topics(topic=topic, timeout=60)
    t = md.topics.get(topic)
    out['created_partitions'] = len(t.partitions) if t is not None and t.error is None else 0
    if out['created_partitions'] >= partitions or time.time() > deadline:
        break
    time.sleep(0.2)
res = ConfigResource(ConfigResource.Type.TOPIC, topic)
configs = a.describe_configs([res], request_timeout=60)[res].result()
out['configs'] = {k: v.value for k, v in configs.items()}
# alter_configs (AlterConfigs, key 33) replaces the topic's configs: retention.ms, not
# listed, goes back to its default.
res.set_config('segment.ms', '60000')
a.alter_configs([res], request_timeout=60)[res].result()
altered = a.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)], request_timeout=60)
out['altered'] = {k: [v.value, v.is_default] for k, v in list(altered.values())[0].result().items() if k in ('retention.ms', 'segment.ms')}
# A resource type Tributary does not serve (a group's configs) is answered INVALID_REQUEST,
# as Kafka answers one it does not know: not a closed connection (_TRANSPORT).
try:
    gres = ConfigResource('group', 'some-group')
    a.describe_configs([gres], request_timeout=60)[gres].result()
    out['group_configs_error'] = None
except KafkaException as e:
    out['group_configs_error'] = e.args[0].name()
groups = a.list_groups(timeout=60)
out['groups'] = sorted(g.id for g in groups)
dfut = a.delete_topics([topic], operation_timeout=60, request_timeout=60)
dfut[topic].result()
# The brokers learn of the deletion from the metadata log a moment after the controller
# answers (as in Kafka): look again until it is gone, for up to 60 s.
deadline = time.time() + 60
while True:
    md = a.list_topics(timeout=60)
    out['after_delete'] = topic in md.topics
    if not out['after_delete'] or time.time() > deadline:
        break
    time.sleep(0.2)
report(out)
