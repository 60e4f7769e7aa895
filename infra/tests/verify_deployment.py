#!/usr/bin/env python3
"""Checks a deployed jira-ingest stack through the AWS API (boto3).

`cargo xtask test` runs it against moto's server after `cargo xtask deploy`
and again after `cargo xtask destroy` (with --gone). It reads Terraform's
outputs and checks what AWS reports, not what the configuration says.
It works against real AWS too; there the TLS-only bucket policy must exist:

    terraform -chdir=infra output -json > /tmp/out.json
    python3 infra/tests/verify_deployment.py --outputs /tmp/out.json \
        --zip target/lambda/jira-ingest-lambda.zip --real-aws
"""

import argparse
import base64
import hashlib
import json
import re
import sys

import boto3
from botocore.exceptions import ClientError

CONTRACT_PREFIXES = ("raw/jira/", "normalized/jira/", "manifests/jira/", "state/jira/")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, fn):
        try:
            result = fn()
            ok, detail = (result, "") if isinstance(result, bool) else result
        except Exception as exc:  # a failing API call fails the check, not the run
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        if ok:
            self.passed += 1
            print(f"  ok    {name}")
        else:
            self.failed.append(name)
            print(f"  FAIL  {name}: {detail}")


def error_code(fn):
    try:
        fn()
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return None


def as_list(v):
    return v if isinstance(v, list) else [v]


def check_present(c, out, args, aws):
    s3, lam, iam, kms = aws("s3"), aws("lambda"), aws("iam"), aws("kms")
    bucket, key_arn = out["bucket_name"], out["kms_key_arn"]
    fn_name, secret_arn = out["function_name"], out["jira_secret_arn"]
    region = args.region
    account = aws("sts").get_caller_identity()["Account"]
    log_group = out["log_group_name"]
    log_group_arn = f"arn:aws:logs:{region}:{account}:log-group:{log_group}"
    param_arn = f"arn:aws:ssm:{region}:{account}:parameter{out['ssm_parameter_name']}"
    queue_arn = aws("sqs").get_queue_attributes(
        QueueUrl=out["failure_queue_url"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    conf = lam.get_function_configuration(FunctionName=fn_name)
    fn_arn = conf["FunctionArn"]

    # KMS
    meta = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    c.check("kms key is customer managed and enabled",
            lambda: (meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] == "Enabled", meta))
    c.check("kms key rotation is on",
            lambda: kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"])
    c.check("kms alias names the stack key", lambda: any(
        a["AliasName"] == f"alias/{fn_name}" and a.get("TargetKeyId") == meta["KeyId"]
        for a in kms.list_aliases()["Aliases"]))

    # S3
    def encryption():
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        d = rules[0]["ApplyServerSideEncryptionByDefault"]
        ok = (d["SSEAlgorithm"] == "aws:kms" and d.get("KMSMasterKeyID") in (key_arn, meta["KeyId"])
              and rules[0].get("BucketKeyEnabled") is True)
        return ok, rules
    c.check("bucket default encryption is SSE-KMS with the stack key and a bucket key", encryption)

    def public_access():
        pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        return all(pab[k] for k in ("BlockPublicAcls", "IgnorePublicAcls",
                                    "BlockPublicPolicy", "RestrictPublicBuckets")), pab
    c.check("bucket blocks all public access", public_access)
    c.check("bucket is versioned",
            lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled")

    def lifecycle():
        rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
        noncurrent = rules.get("expire-noncurrent-versions", {})
        raw = rules.get("raw-to-infrequent-access", {})
        ok = (noncurrent.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays", 0) > 0
              and raw.get("Filter", {}).get("Prefix") == out["s3_prefix"] + "raw/jira/"
              and raw["Transitions"][0]["StorageClass"] == "STANDARD_IA")
        return ok, rules
    c.check("bucket lifecycle expires old versions and tiers raw/", lifecycle)
    c.check("bucket ownership is enforced (no ACLs)", lambda: s3.get_bucket_ownership_controls(
        Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced")
    if args.real_aws:
        c.check("bucket policy denies requests without TLS",
                lambda: "aws:SecureTransport" in s3.get_bucket_policy(Bucket=bucket)["Policy"])
    else:
        c.check("emulator switch left out the TLS-only policy moto cannot evaluate",
                lambda: error_code(lambda: s3.get_bucket_policy(Bucket=bucket)) == "NoSuchBucketPolicy")

    # Lambda
    c.check("function runs bootstrap on provided.al2023",
            lambda: (conf["Runtime"] == "provided.al2023" and conf["Handler"] == "bootstrap", conf))
    c.check("function architecture, memory and timeout",
            lambda: (conf["Architectures"] == [args.architecture] and conf["Timeout"] == 900
                     and conf["MemorySize"] == 512, conf))
    c.check("function runs as the stack's role", lambda: conf["Role"] == out["role_arn"])
    expected_env = {
        "JIRA_INGEST_S3_BUCKET": bucket,
        "JIRA_INGEST_S3_PREFIX": out["s3_prefix"],
        "JIRA_INGEST_KMS_KEY_ID": key_arn,
        "JIRA_OAUTH_SECRET_ID": secret_arn,
        "JIRA_INGEST_SSM_PARAMETER": out["ssm_parameter_name"],
        "JIRA_JQL": args.jql,
        "JIRA_BACKFILL_DAYS": str(args.backfill_days),
        "JIRA_OVERLAP": "10m",
        "JIRA_INDEX_LAG": "2m",
        "RUST_LOG": "info",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "MALLOC_ARENA_MAX": "2",
    }
    env = conf.get("Environment", {}).get("Variables", {})
    c.check("function environment is exactly that of contracts section 4",
            lambda: (env == expected_env, {"got": env, "want": expected_env}))
    c.check("reserved concurrency is 1 (runs never overlap)",
            lambda: lam.get_function_concurrency(FunctionName=fn_name)
            .get("ReservedConcurrentExecutions") == 1)
    if args.zip:
        with open(args.zip, "rb") as f:
            digest = base64.b64encode(hashlib.sha256(f.read()).digest()).decode()
        c.check("deployed code is the package that xtask dist wrote",
                lambda: (conf["CodeSha256"] == digest, (conf["CodeSha256"], digest)))

    def invoke_config():
        cfg = lam.get_function_event_invoke_config(FunctionName=fn_name)
        dest = cfg["DestinationConfig"]["OnFailure"]["Destination"]
        return cfg["MaximumRetryAttempts"] == 1 and dest == queue_arn, cfg
    c.check("failed invocations go to the failure queue after one retry", invoke_config)
    c.check("failure queue is encrypted with the stack key", lambda: aws("sqs").get_queue_attributes(
        QueueUrl=out["failure_queue_url"], AttributeNames=["KmsMasterKeyId"]
    )["Attributes"].get("KmsMasterKeyId") in (key_arn, meta["KeyId"]))

    # Schedule
    events = aws("events")
    rule = events.describe_rule(Name=out["schedule_rule_name"])

    def schedule():
        m = re.fullmatch(r"cron\((\d+) \* \* \* \? \*\)", rule["ScheduleExpression"])
        ok = m is not None and 1 <= int(m.group(1)) <= 59 and rule["State"] == "ENABLED"
        return ok, rule["ScheduleExpression"]
    c.check("schedule is hourly at a minute other than :00", schedule)

    def target():
        targets = events.list_targets_by_rule(Rule=out["schedule_rule_name"])["Targets"]
        return [t["Arn"] for t in targets] == [fn_arn], targets
    c.check("schedule targets the function", target)

    def permission():
        stmts = json.loads(lam.get_policy(FunctionName=fn_name)["Policy"])["Statement"]
        return any(
            s["Action"] == "lambda:InvokeFunction"
            and s["Principal"] in ({"Service": "events.amazonaws.com"}, "events.amazonaws.com")
            and s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn") == rule["Arn"]
            for s in stmts), stmts
    c.check("only the schedule rule may invoke the function", permission)

    # IAM
    role_name = out["role_arn"].split("/")[-1]
    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    c.check("role trusts only lambda.amazonaws.com", lambda: [
        s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}])
    c.check("role has no attached managed policies",
            lambda: iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == [])
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    c.check("role has exactly one inline policy", lambda: (len(names) == 1, names))
    doc = iam.get_role_policy(RoleName=role_name, PolicyName=names[0])["PolicyDocument"]
    if isinstance(doc, str):
        doc = json.loads(doc)
    stmts = doc["Statement"]

    def by_action(prefix):
        return [s for s in stmts if any(a.startswith(prefix) for a in as_list(s["Action"]))]

    c.check("no wildcard resource or action in the role", lambda: (all(
        "*" not in as_list(s["Resource"]) and not any(a.endswith("*") for a in as_list(s["Action"]))
        for s in stmts), stmts))
    stack_arns = {f"arn:aws:s3:::{bucket}", key_arn, param_arn, secret_arn,
                  log_group_arn + ":*", queue_arn}
    object_arns = {f"arn:aws:s3:::{bucket}/{out['s3_prefix']}{p}*" for p in CONTRACT_PREFIXES}

    def scoped():
        resources = {r for s in stmts for r in as_list(s["Resource"])}
        return resources <= stack_arns | object_arns, sorted(resources - stack_arns - object_arns)
    c.check("every resource in the role belongs to this stack", scoped)
    c.check("object access only to the four contract prefixes of this bucket", lambda: {
        r for s in by_action("s3:") for r in as_list(s["Resource"]) if "/" in r} == object_arns)
    c.check("listing only under the contract prefixes", lambda: all(
        s.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        for s in stmts if "s3:ListBucket" in as_list(s["Action"])))
    c.check("kms use only of the stack key",
            lambda: {r for s in by_action("kms:") for r in as_list(s["Resource"])} == {key_arn})
    c.check("cursor access only to the one parameter",
            lambda: {r for s in by_action("ssm:") for r in as_list(s["Resource"])} == {param_arn})
    c.check("GetSecretValue and PutSecretValue on only this secret", lambda: (
        [(sorted(as_list(s["Action"])), as_list(s["Resource"])) for s in by_action("secretsmanager:")]
        == [(["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], [secret_arn])],
        by_action("secretsmanager:")))
    c.check("logs only to the function's log group", lambda: {
        r for s in by_action("logs:") for r in as_list(s["Resource"])} == {log_group_arn + ":*"})

    # Secret, cursor, logs, alarms
    sm = aws("secretsmanager")
    secret = sm.describe_secret(SecretId=secret_arn)
    c.check("OAuth secret rag/jira/oauth is encrypted with the stack key",
            lambda: (secret["Name"] == "rag/jira/oauth"
                     and secret.get("KmsKeyId") in (key_arn, meta["KeyId"]), secret))
    c.check("cursor parameter is left for the function to create", lambda: error_code(
        lambda: aws("ssm").get_parameter(Name=out["ssm_parameter_name"])) == "ParameterNotFound")
    logs = aws("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
    c.check("log group keeps logs 365 days, encrypted with the stack key", lambda: (
        [(g["logGroupName"], g.get("retentionInDays"), g.get("kmsKeyId")) for g in groups]
        == [(log_group, 365, key_arn)], groups))
    c.check("completed runs are counted from the run summary log line", lambda: any(
        '"complete"' in f["filterPattern"]
        for f in logs.describe_metric_filters(logGroupName=log_group)["metricFilters"]))
    cw = aws("cloudwatch")
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=out["alarm_names"])["MetricAlarms"]}
    topics = [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]
              if t["TopicArn"].endswith(f":{fn_name}-alarms")]

    def alarm_errors():
        a = alarms[f"{fn_name}-errors"]
        return (a["MetricName"] == "Errors"
                and a["Dimensions"] == [{"Name": "FunctionName", "Value": fn_name}]
                and a["AlarmActions"] == topics and len(topics) == 1), a
    c.check("alarm on failed runs notifies the alarm topic", alarm_errors)

    def alarm_stale():
        a = alarms[f"{fn_name}-no-completed-run"]
        return (a["EvaluationPeriods"] == 6 and a["TreatMissingData"] == "breaching"
                and a["ComparisonOperator"] == "LessThanThreshold" and a["AlarmActions"] == topics), a
    c.check("alarm when no run completed for 6 hours", alarm_stale)
    if args.alarm_email:
        c.check("alarm topic has the e-mail subscription", lambda: [
            s["Endpoint"] for s in aws("sns").list_subscriptions_by_topic(TopicArn=topics[0])["Subscriptions"]
        ] == [args.alarm_email])


def check_gone(c, out, args, aws):
    fn_name = out["function_name"]
    c.check("function is gone", lambda: error_code(
        lambda: aws("lambda").get_function(FunctionName=fn_name)) == "ResourceNotFoundException")
    c.check("bucket is gone", lambda: error_code(
        lambda: aws("s3").head_bucket(Bucket=out["bucket_name"])) in ("404", "NoSuchBucket"))
    c.check("role is gone", lambda: error_code(
        lambda: aws("iam").get_role(RoleName=out["role_arn"].split("/")[-1])) == "NoSuchEntity")
    c.check("schedule is gone", lambda: error_code(
        lambda: aws("events").describe_rule(Name=out["schedule_rule_name"])) == "ResourceNotFoundException")
    c.check("secret is gone", lambda: error_code(
        lambda: aws("secretsmanager").describe_secret(SecretId=out["jira_secret_arn"]))
        == "ResourceNotFoundException")
    c.check("key is scheduled for deletion", lambda: aws("kms").describe_key(
        KeyId=out["kms_key_arn"])["KeyMetadata"]["KeyState"] == "PendingDeletion")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--outputs", required=True, help="`terraform output -json` of the stack")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--zip", help="the package `cargo xtask dist` wrote")
    p.add_argument("--architecture", default="x86_64")
    p.add_argument("--jql", default="")
    p.add_argument("--backfill-days", type=int, default=30)
    p.add_argument("--alarm-email")
    p.add_argument("--real-aws", action="store_true", help="expect the protections moto lacks")
    p.add_argument("--gone", action="store_true", help="check that destroy removed the stack")
    args = p.parse_args()

    with open(args.outputs) as f:
        out = {k: v["value"] for k, v in json.load(f).items()}
    session = boto3.session.Session(region_name=args.region)

    def aws(service):
        return session.client(service)

    c = Checks()
    (check_gone if args.gone else check_present)(c, out, args, aws)
    # The plain closing line that CI's log reader counts.
    print(f"infra: {c.passed} passed, {len(c.failed)} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
