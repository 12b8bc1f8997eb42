"""The primary agent (boto3): prepares a report bucket and a secret, then hands
the analysis to a secondary agent it starts with `agentrail run --agent`."""
import os
import subprocess
import sys

import boto3
from botocore.exceptions import ClientError

here = os.path.dirname(os.path.abspath(__file__))
s3 = boto3.client("s3")
secrets = boto3.client("secretsmanager")
print(f"[planner] I am {boto3.client('sts').get_caller_identity()['Arn']} (what the gateway lets me see)")
s3.create_bucket(Bucket="reports-2026")
s3.put_object(Bucket="reports-2026", Key="q3/summary.txt", Body=b"revenue up 12%\n")
secrets.create_secret(Name="demo/db-password", SecretString=os.environ["DEMO_SECRET"])
value = secrets.get_secret_value(SecretId="demo/db-password")["SecretString"]
print(f"[planner] read a secret of {len(value)} characters; the audit trail keeps it masked")
try:
    boto3.client("iam").create_user(UserName="shadow-admin")
except ClientError as e:
    print(f"[planner] iam:CreateUser refused by AWS: {e.response['Error']['Code']}")
print("[planner] starting the researcher agent")
code = subprocess.call([os.environ["AGENTRAIL"], "run", "--agent", "researcher", "--", sys.executable, os.path.join(here, "researcher.py")])
sys.exit(code)
