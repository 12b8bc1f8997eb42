/**
 * boto3 through the sidecar against moto (IAM auth enforced), in endpoint and
 * proxy mode; presigned URLs made by the agent and fetched by a plain HTTP
 * client; and the exact error each protocol's parser expects when the sidecar
 * refuses a caller.
 */
import { jest } from '@jest/globals';
import { fetchAgentCredentials } from './support/container-credentials.js';
import { boto3, cleanEnv } from './support/aws-clients.js';
import { startMoto, type Moto } from './support/moto.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(120_000);

let moto: Moto;
let sidecar: RunningSidecar;

beforeAll(async () => {
  moto = await startMoto();
  sidecar = await startSidecar(moto.endpoint, moto);
});

afterAll(async () => {
  await sidecar?.stop();
  await moto?.stop();
});

const WORKLOAD = `
import hashlib, os, ssl, urllib.request
from boto3.s3.transfer import TransferConfig
mode, tag = sys.argv[1], sys.argv[2]
out = {}
out["account"] = boto3.client("sts").get_caller_identity()["Account"]

s3 = boto3.client("s3")
bucket = "boto-" + tag
s3.create_bucket(Bucket=bucket)
data = os.urandom(12 * 1024 * 1024)
open("/tmp/agentrail-boto-" + tag, "wb").write(data)
# 5 MB parts: a three-part multipart upload.
s3.upload_file("/tmp/agentrail-boto-" + tag, bucket, "big", Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
got = s3.get_object(Bucket=bucket, Key="big")["Body"].read()
out["s3_roundtrip"] = hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
out["s3_etag"] = s3.head_object(Bucket=bucket, Key="big")["ETag"]
s3.put_object(Bucket=bucket, Key="small.txt", Body=b"presigned hello")
out["list"] = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]

# A presigned URL made with the agent's ephemeral credentials, fetched by a plain HTTP client.
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "small.txt"}, ExpiresIn=300)
opener = urllib.request.build_opener()
if mode == "proxy":
    ctx = ssl.create_default_context(cafile=os.environ["AWS_CA_BUNDLE"])
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"https": os.environ["HTTPS_PROXY"]}), urllib.request.HTTPSHandler(context=ctx))
out["presigned_url_host"] = url.split("/")[2]
out["presigned_get"] = opener.open(url).read().decode()
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "uploaded.txt"}, ExpiresIn=300)
# urllib would add a form Content-Type, which the signature does not cover (S3 refuses that too).
opener.open(urllib.request.Request(put_url, data=b"uploaded via presigned PUT", method="PUT", headers={"Content-Type": ""})).read()
out["presigned_put"] = s3.get_object(Bucket=bucket, Key="uploaded.txt")["Body"].read().decode()
tampered = url.replace("small.txt", "big")
try:
    opener.open(tampered)
    out["tampered"] = "accepted"
except urllib.error.HTTPError as e:
    out["tampered"] = [e.code, e.read().decode()]

ddb = boto3.client("dynamodb")
ddb.create_table(TableName="t-" + tag, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
ddb.put_item(TableName="t-" + tag, Item={"id": {"S": "1"}, "v": {"S": "dynamo"}})
out["dynamodb"] = ddb.get_item(TableName="t-" + tag, Key={"id": {"S": "1"}})["Item"]["v"]["S"]

sqs = boto3.client("sqs")
q = sqs.create_queue(QueueName="q-" + tag)["QueueUrl"]
sqs.send_message(QueueUrl=q, MessageBody="queued")
out["sqs"] = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)["Messages"][0]["Body"]

sns = boto3.client("sns")
out["sns"] = bool(sns.publish(TopicArn=sns.create_topic(Name="t-" + tag)["TopicArn"], Message="m")["MessageId"])
out["iam"] = boto3.client("iam").create_user(UserName="u-" + tag)["User"]["UserName"]
sm = boto3.client("secretsmanager")
sm.create_secret(Name="s-" + tag, SecretString="hunter2")
out["secret"] = sm.get_secret_value(SecretId="s-" + tag)["SecretString"]
kms = boto3.client("kms")
key = kms.create_key()["KeyMetadata"]["KeyId"]
out["kms"] = kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=b"kms text")["CiphertextBlob"])["Plaintext"].decode()
ssm = boto3.client("ssm")
ssm.put_parameter(Name="/p/" + tag, Value="param", Type="SecureString")
out["ssm"] = ssm.get_parameter(Name="/p/" + tag, WithDecryption=True)["Parameter"]["Value"]
out["ec2"] = "Reservations" in boto3.client("ec2").describe_instances()
logs = boto3.client("logs")
logs.create_log_group(logGroupName="/g/" + tag)
out["logs"] = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/g/" + tag)["logGroups"]]
emit(out)
`;

describe.each(['endpoint', 'proxy'] as const)('boto3 in %s mode', (mode) => {
  it('runs a day of AWS work through the sidecar', async () => {
    const r = await boto3<Record<string, unknown>>(`sys.argv = ["x", "${mode}", "${mode}"]\n${WORKLOAD}`, cleanEnv(sidecar.agentEnv(mode)));
    expect(r.stderr).toBe('');
    const out = r.json!;
    expect(out['account']).toBe(moto.accountId);
    expect(out['s3_roundtrip']).toBe(true);
    expect(out['s3_etag']).toMatch(/-3"$/);
    expect(out['list']).toEqual(['big', 'small.txt']);
    expect(out['presigned_url_host']).toBe(mode === 'endpoint' ? new URL(sidecar.endpoints.explicitUrl).host : `boto-${mode}.s3.amazonaws.com`);
    expect(out['presigned_get']).toBe('presigned hello');
    expect(out['presigned_put']).toBe('uploaded via presigned PUT');
    // A presigned URL edited to fetch another key fails verification at the sidecar.
    expect(out['tampered']).toEqual([403, expect.stringContaining('<Code>SignatureDoesNotMatch</Code>')]);
    expect(out).toMatchObject({
      dynamodb: 'dynamo', sqs: 'queued', sns: true, iam: `u-${mode}`, secret: 'hunter2', kms: 'kms text', ssm: 'param', ec2: true, logs: [`/g/${mode}`],
    });
  });
});

describe('refusals parse as the real service errors', () => {
  const PROBE = `
from botocore.config import Config
out = {}
cfg = Config(retries={"max_attempts": 1})
for name, call in [
    ("sts", lambda c: c.get_caller_identity()),
    ("s3", lambda c: c.list_buckets()),
    ("dynamodb", lambda c: c.list_tables()),
    ("ec2", lambda c: c.describe_instances()),
    ("lambda", lambda c: c.list_functions()),
]:
    try:
        call(boto3.client(name, config=cfg))
        out[name] = "accepted"
    except ClientError as e:
        out[name] = client_error(e)
emit(out)
`;

  async function probe(env: Record<string, string>) {
    const before = moto.requests();
    const r = await boto3<Record<string, { code: string; status: number }>>(PROBE, cleanEnv({ AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: sidecar.endpoints.explicitUrl, ...env }));
    expect(r.stderr).toBe('');
    expect(moto.requests()).toBe(before);
    return r.json!;
  }

  it('an unknown access key', async () => {
    const out = await probe({ AWS_ACCESS_KEY_ID: 'ASIAAGRLNOTISSUED000', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 't' });
    expect(out).toEqual({
      sts: expect.objectContaining({ code: 'InvalidClientTokenId', status: 403 }),
      s3: expect.objectContaining({ code: 'InvalidAccessKeyId', status: 403 }),
      dynamodb: expect.objectContaining({ code: 'UnrecognizedClientException', status: 400 }),
      ec2: expect.objectContaining({ code: 'AuthFailure' }),
      lambda: expect.objectContaining({ code: 'UnrecognizedClientException', status: 403 }),
    });
  });

  it('a wrong secret for an issued key', async () => {
    const creds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
    const out = await probe({ AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: 'wrong', AWS_SESSION_TOKEN: creds.sessionToken });
    expect(out).toEqual({
      sts: expect.objectContaining({ code: 'SignatureDoesNotMatch', status: 403 }),
      s3: expect.objectContaining({ code: 'SignatureDoesNotMatch', status: 403 }),
      dynamodb: expect.objectContaining({ code: 'InvalidSignatureException', status: 400 }),
      ec2: expect.objectContaining({ code: 'AuthFailure' }),
      lambda: expect.objectContaining({ code: 'InvalidSignatureException', status: 403 }),
    });
  });
});
