"""AdminClient.create_topics, one topic per config set, then describe_configs of the
topics created; one JSON line: {"created": {topic: null or [error name, message]},
"described": {topic: {config: [value, source, is_default, is_read_only]}}}.

usage: topic_configs.py BOOTSTRAP TOPICS_JSON, TOPICS_JSON a list of [topic, {config: value}]"""
import json
import sys
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from common import base_config, report

bootstrap, topics = sys.argv[1], json.loads(sys.argv[2])
a = AdminClient(base_config(bootstrap))
created = {}
futures = a.create_topics([NewTopic(t, 1, 3, config=c) for t, c in topics], operation_timeout=60, request_timeout=120)
for t, f in futures.items():
    try:
        f.result()
        created[t] = None
    except Exception as e:  # KafkaException carrying the broker's error
        err = e.args[0]
        created[t] = [err.name(), err.str()]
described = {}
ok = [t for t in created if created[t] is None]
if ok:
    for res, f in a.describe_configs([ConfigResource('topic', t) for t in ok], request_timeout=120).items():
        described[res.name] = {n: [e.value, e.source, e.is_default, e.is_read_only] for n, e in f.result().items()}
report({'created': created, 'described': described})
