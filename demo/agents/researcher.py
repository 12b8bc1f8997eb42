"""The secondary agent (boto3): reads the report, writes its analysis, and
starts a third agent (the AWS CLI) that tries to clean up — which its policy
forbids at that depth."""
import os
import subprocess
import sys

import boto3

s3 = boto3.client("s3")
body = s3.get_object(Bucket="reports-2026", Key="q3/summary.txt")["Body"].read()
print(f"[researcher] read {len(body)} bytes of q3/summary.txt")
s3.put_object(Bucket="reports-2026", Key="q3/analysis.txt", Body=b"trend: positive\n")
print("[researcher] starting the s3-cleanup agent (AWS CLI)")
code = subprocess.call([os.environ["AGENTRAIL"], "run", "--agent", "s3-cleanup", "--",
                        sys.executable, "-m", "awscli", "s3", "rm", "s3://reports-2026/q3/summary.txt"])
print(f"[researcher] s3-cleanup exited {code}")
