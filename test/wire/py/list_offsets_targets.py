"""Consumer.offsets_for_times with each of Kafka's ListOffsets targets on one partition,
one JSON line: {target: offset or the error's name}. librdkafka passes a negative
"timestamp" through as the ListOffsets target: -1 latest, -2 earliest, -3 max timestamp,
-4 earliest local, -5 latest tiered.

usage: list_offsets_targets.py BOOTSTRAP TOPIC TARGET..."""
import sys
from confluent_kafka import Consumer, KafkaException, TopicPartition
from common import base_config, report

bootstrap, topic, targets = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3:]]
c = Consumer(base_config(bootstrap, {'group.id': topic + '-targets'}))
out = {}
for t in targets:
    try:
        out[str(t)] = c.offsets_for_times([TopicPartition(topic, 0, t)], timeout=60)[0].offset
    except KafkaException as e:
        out[str(t)] = e.args[0].name()
c.close()
report(out)
