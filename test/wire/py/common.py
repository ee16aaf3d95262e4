"""Shared bits of the wire-test scripts: every script prints one JSON line last."""
import json
import sys


def report(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def base_config(bootstrap, extra=None):
    conf = {
        'bootstrap.servers': bootstrap,
        # Generous: the test machine is loaded.
        'socket.timeout.ms': 60000,
        'api.version.request.timeout.ms': 30000,
        'log_level': 3,
    }
    if extra:
        conf.update(extra)
    return conf


def sasl_config(_unused=None):
    """Optional SASL settings passed as a JSON object in the environment (WIRE_SASL)."""
    import os
    raw = os.environ.get('WIRE_SASL')
    return json.loads(raw) if raw else {}
