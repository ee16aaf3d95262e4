"""librdkafka's mock cluster on real TCP (test.mock.num.brokers): an independent Kafka
implementation for the wire tests. Prints `bootstrap.servers=HOST:PORT,...` once it
listens, and runs until its stdin closes."""
import sys
from confluent_kafka import Producer

brokers = int(sys.argv[1]) if len(sys.argv) > 1 else 1
p = Producer({'test.mock.num.brokers': brokers, 'bootstrap.servers': '', 'log_level': 0})
md = p.list_topics(timeout=30)
servers = ",".join(f"{b.host}:{b.port}" for b in sorted(md.brokers.values(), key=lambda b: b.id))
print(f"bootstrap.servers={servers}", flush=True)
sys.stdin.read()
