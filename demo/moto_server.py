"""moto as the demo's AWS: IAM authentication on, one IAM user whose key the
gateway holds. The user may do anything except IAM, so an agent's IAM call is
refused by "AWS" itself. Prints one JSON line (endpoint, keys), then serves
until stdin closes (the demo holds the other end)."""
import json
import logging
import os
import socket
import sys

# moto serves this many requests unauthenticated; the bootstrap below makes exactly three.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
# The request log would drown the demo's output.
logging.getLogger("werkzeug").setLevel(logging.ERROR)

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
os.environ["MOTO_PORT"] = str(port)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
endpoint = f"http://127.0.0.1:{port}"
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="demo-operator")
iam.put_user_policy(UserName="demo-operator", PolicyName="everything-but-iam", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
}))
key = iam.create_access_key(UserName="demo-operator")["AccessKey"]
print(json.dumps({"endpoint": endpoint, "accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}), flush=True)
try:
    while sys.stdin.buffer.read(65536):
        pass
finally:
    server.stop()
