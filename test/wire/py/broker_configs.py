"""describe_configs of a BROKER resource and alter_configs of a read-only broker config: one JSON line.

usage: broker_configs.py BOOTSTRAP BROKER_ID"""
import sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource
from common import base_config, report

bootstrap, broker_id = sys.argv[1], sys.argv[2]
a = AdminClient(base_config(bootstrap))
out = {}
res = ConfigResource(ConfigResource.Type.BROKER, broker_id)
entries = a.describe_configs([res], request_timeout=60)[res].result()
out['configs'] = {k: {'value': v.value, 'source': v.source, 'read_only': v.is_read_only, 'is_default': v.is_default,
                      'synonyms': [[s.name, s.value, s.source] for s in v.synonyms.values()]} for k, v in entries.items()}
# alter_configs (AlterConfigs) of a read-only config is refused for the whole resource.
bad = ConfigResource(ConfigResource.Type.BROKER, broker_id, set_config={'num.partitions': '3'})
try:
    a.alter_configs([bad], request_timeout=60)[bad].result()
    out['refused'] = None
except KafkaException as e:
    out['refused'] = [e.args[0].name(), e.args[0].str()]
report(out)
