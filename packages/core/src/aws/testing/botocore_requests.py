"""Builds real botocore requests for extraction tests, without sending them.

stdin: JSON list of {"service", "region", "operation" (snake_case method), "params"}.
stdout: JSON list of {"method", "url", "headers", "body" (base64)} or {"error"}.
A before-send hook captures each signed request and aborts the call.
"""
import base64
import json
import sys

import botocore.session
from botocore.config import Config


class Captured(Exception):
    pass


def capture(cases):
    session = botocore.session.get_session()
    out = []
    for case in cases:
        box = {}

        def before_send(request, **_):
            box['request'] = request
            raise Captured()

        client = session.create_client(
            case['service'],
            region_name=case.get('region', 'us-east-1'),
            aws_access_key_id='AKIDEXAMPLE',
            aws_secret_access_key='secret',
            config=Config(retries={'max_attempts': 0}, **case.get('config', {})),
        )
        client.meta.events.register('before-send', before_send)
        try:
            getattr(client, case['operation'])(**case.get('params', {}))
        except Captured:
            pass
        except Exception as exc:  # noqa: BLE001 - reported to the test
            out.append({'error': f'{type(exc).__name__}: {exc}'})
            continue
        req = box['request']
        body = req.body
        if body is None:
            body = b''
        elif hasattr(body, 'read'):
            body = body.read()
        elif isinstance(body, str):
            body = body.encode('utf-8')
        out.append({
            'method': req.method,
            'url': req.url,
            'headers': {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()},
            'body': base64.b64encode(body).decode(),
        })
    return out


if __name__ == '__main__':
    json.dump(capture(json.load(sys.stdin)), sys.stdout)
