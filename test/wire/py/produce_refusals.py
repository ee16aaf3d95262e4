"""Produces one record per case and prints each case's delivery report: the error name
(librdkafka's, as err.name()) or null, and the offset. Cases: a timestamp two hours
ahead, one a minute ahead, one a year back, into TOPIC; a value larger than the
segment.bytes of SMALL_TOPIC, and a small one into it.

usage: produce_refusals.py BOOTSTRAP TOPIC SMALL_TOPIC"""
import sys
import time
from confluent_kafka import Producer
from common import base_config, report

bootstrap, topic, small_topic = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer(base_config(bootstrap, {
    'acks': 'all',
    'linger.ms': 0,
    'message.timeout.ms': 120000,
    'request.timeout.ms': 60000,
}))
now_ms = int(time.time() * 1000)
hour = 3600 * 1000
cases = [
    ('ahead-2h', topic, b'x', now_ms + 2 * hour),
    ('ahead-1m', topic, b'x', now_ms + 60 * 1000),
    ('back-1y', topic, b'x', now_ms - 365 * 24 * hour),
    ('over-segment', small_topic, b'v' * 2000, now_ms),
    ('under-segment', small_topic, b'v' * 500, now_ms),
]
out = {}


def reporter(name):
    def on_delivery(err, msg):
        out[name] = {'error': None if err is None else err.name(), 'offset': None if err is not None else msg.offset()}
    return on_delivery


for name, t, value, ts in cases:
    p.produce(t, value=value, partition=0, timestamp=ts, on_delivery=reporter(name))
    # One at a time: each case is its own request, so one refusal does not decide another's.
    p.flush(120)
report(out)
