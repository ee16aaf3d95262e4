"""AdminClient.describe_configs of each topic named, one JSON line: {topic: [error name, error text] or the number of configs}.

usage: describe_topic_configs.py BOOTSTRAP TOPIC..."""
import sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource
from common import base_config, report

bootstrap, topics = sys.argv[1], sys.argv[2:]
a = AdminClient(base_config(bootstrap))
out = {}
for t in topics:
    f = a.describe_configs([ConfigResource('topic', t)], request_timeout=60)[ConfigResource('topic', t)]
    try:
        out[t] = len(f.result())
    except KafkaException as e:
        out[t] = [e.args[0].name(), e.args[0].str()]
report(out)
