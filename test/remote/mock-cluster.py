"""librdkafka's mock cluster (an independent Kafka-protocol server) on loopback.

Prints "bootstrap.servers=HOST:PORT,..." once it is up, then stays alive until stdin
closes (the test process that started it exits or closes the pipe).
"""
import sys
from confluent_kafka import Producer

p = Producer({'test.mock.num.brokers': 3, 'log_level': 0})
md = p.list_topics(timeout=10)
servers = ','.join(f'{b.host}:{b.port}' for b in sorted(md.brokers.values(), key=lambda b: b.id))
print(f'bootstrap.servers={servers}', flush=True)
sys.stdin.read()
