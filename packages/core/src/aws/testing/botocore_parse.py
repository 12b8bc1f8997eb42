"""Parses rendered error responses with botocore's own response parsers.

stdin: JSON list of {"service", "operation", "protocol", "status", "headers", "body" (base64)}.
stdout: JSON list of {"code", "message", "requestId", "httpStatus"} or {"error"}.
The parser is the one botocore picks for the protocol, with the real service
model's operation, exactly as a boto3 client would parse the response.
"""
import base64
import json
import sys

import botocore.session
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser


def parse(cases):
    session = botocore.session.get_session()
    out = []
    for case in cases:
        try:
            model = session.get_service_model(case['service'])
            operation = model.operation_model(case['operation'])
            parser = create_parser(case['protocol'])
            parsed = parser.parse(
                {
                    'status_code': case['status'],
                    'headers': HeadersDict(case['headers']),
                    'body': base64.b64decode(case['body']),
                },
                operation.output_shape,
            )
            error = parsed.get('Error', {})
            meta = parsed.get('ResponseMetadata', {})
            out.append({
                'code': error.get('Code'),
                'message': error.get('Message'),
                'requestId': meta.get('RequestId'),
                'httpStatus': meta.get('HTTPStatusCode'),
            })
        except Exception as exc:  # noqa: BLE001 - reported to the test
            out.append({'error': f'{type(exc).__name__}: {exc}'})
    return out


if __name__ == '__main__':
    json.dump(parse(json.load(sys.stdin)), sys.stdout)
