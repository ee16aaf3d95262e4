"""A transactional Producer's init_transactions() against a broker without transactions.

Usage: transactions.py BOOTSTRAP TIMEOUT_S. Prints {"code", "name", "fatal", "retriable",
"message"} of the error init_transactions raised (or "name": null if it succeeded).
librdkafka waits out the whole timeout (_TIMED_OUT) unless the broker's answer is one it
treats as fatal.
"""
import sys
from confluent_kafka import Producer, KafkaException
from common import base_config, report

bootstrap, timeout_s = sys.argv[1], float(sys.argv[2])
p = Producer(base_config(bootstrap, {'transactional.id': 'py-transactions', 'log_level': 0}))
try:
    p.init_transactions(timeout_s)
    report({'code': 0, 'name': None, 'fatal': False, 'retriable': False, 'message': ''})
except KafkaException as e:
    err = e.args[0]
    report({'code': err.code(), 'name': err.name(), 'fatal': err.fatal(), 'retriable': err.retriable(), 'message': err.str()})
