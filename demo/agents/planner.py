"""The primary agent (boto3): prepares a report bucket, a secret and a
parameter, tries a few things its policy forbids, then hands the analysis to
a secondary agent it starts with `agentrail run --agent`."""
import os
import subprocess
import sys

import boto3
from botocore.exceptions import ClientError

here = os.path.dirname(os.path.abspath(__file__))


def attempt(what, call):
    try:
        call()
        print(f"[planner] {what}: allowed")
    except ClientError as e:
        print(f"[planner] {what}: {e.response['Error']['Code']} — {e.response['Error']['Message']}")


s3 = boto3.client("s3")
print(f"[planner] I am {boto3.client('sts').get_caller_identity()['Arn']} (through the gateway; my own keys are ephemeral)")
s3.create_bucket(Bucket="reports-2026")
s3.put_object(Bucket="reports-2026", Key="q3/summary.txt", Body=b"revenue up 12%\n")
secrets = boto3.client("secretsmanager")
secrets.create_secret(Name="demo/db-password", SecretString=os.environ["DEMO_SECRET"])
value = secrets.get_secret_value(SecretId="demo/db-password")["SecretString"]
print(f"[planner] read a secret of {len(value)} characters; the audit trail keeps it masked")
ssm = boto3.client("ssm")
ssm.put_parameter(Name="/demo/api-key", Value=os.environ["DEMO_SECRET"], Type="SecureString")
shown = ssm.get_parameter(Name="/demo/api-key", WithDecryption=True)["Parameter"]["Value"]
print(f"[planner] ssm:GetParameter answered {shown!r}: the policy masks it in what I receive, too")
attempt("iam:CreateUser", lambda: boto3.client("iam").create_user(UserName="shadow-admin"))
attempt("s3:DeleteBucket", lambda: s3.delete_bucket(Bucket="reports-2026"))
print("[planner] starting the researcher agent")
subprocess.call([os.environ["AGENTRAIL"], "run", "--agent", "researcher", "--", sys.executable, os.path.join(here, "researcher.py")])
