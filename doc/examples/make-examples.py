#!/usr/bin/python3
"""Writes the example data set that the README's quick start scans (and the dashboard demo
replays): a Terraform state of an AWS production account and one of a GCP project, and one
morning of their audit logs (2024-05-27, 07:00-11:00Z).

    python3 doc/examples/make-examples.py        # rewrites the four files next to it

Standard library only and deterministic (fixed seed, fixed times): running it twice gives
byte-identical files.

The story (times UTC):
  07:29  GitHub Actions assumes terraform-ci (session gha-run-1234) and runs `terraform apply`
         with Terraform 1.5.7 / hashicorp/aws 5.31.0: the db security group gets a 5432 rule
         from the web group, the worker launch template a new AMI (then an instance refresh),
         the Lambda a 30 s timeout, the web instances a Release tag. The state files below are
         what that apply (and the GCP one at 07:36) wrote.
  07:33  Auto Scaling replaces the worker instances (service events, not drift); it scales
         out at 10:00 and back in at 10:40.
  all morning: read-only noise (Grafana polling, AWS Config, CloudTrail's own KMS/S3 calls).
  09:02  alice@corp.example signs in through IAM Identity Center (console) and, chasing 502s:
         09:14:03 opens SSH 0.0.0.0/0 on the web security group; stops web[1], changes it
         from t3.medium to t3.large and starts it (starting is not drift: the state says
         running); disables termination protection on web[0]; re-saves the logs bucket's
         versioning (already Enabled: not drift) and its policy (same document, keys
         reordered: not drift); at 10:48 disables the data KMS key.
  09:38  bob (IAM user, aws-cli/2): sets the API Lambda's timeout to 30 (equal: not drift),
         then its memory to 1024 MB; makes prod-db publicly accessible and resets its master
         password; tries to attach AdministratorAccess to the app role (AccessDenied); at
         10:31 deletes the logs bucket's public access block.
  10:05  a Boto3 script (IAM user etl-runner) creates an unmanaged bucket (then tags it and
         blocks public access on it), an IAM user reporting-bot with an access key, and fails
         to attach AdministratorAccess to it (AccessDenied).
  GCP (project corp-prod-4411):
  07:36  Terraform (terraform-provider-google 5.30.0, through workload identity federation):
         patches allow-https, labels app-0..2, grants a project role, labels a bucket. The
         app instances are configured with desired_status = "RUNNING".
  08:12  Compute Engine live-migrates app-2 (system event); 10:40 host error + automatic
         restart of app-0 (system events).
  09:20  carol@corp.example with gcloud: opens allow-ssh to 0.0.0.0/0, creates an unmanaged
         firewall allow-debug-8080, fails to change app-0's metadata (PERMISSION_DENIED).
  09:48  deployer@corp-prod-4411.iam.gserviceaccount.com (google-api-go-client): stops app-1,
         sets its machine type to e2-standard-8, starts it (back to the RUNNING the state wants:
         not drift).
  10:15  dave@corp.example in the console: deletes the managed bucket corp-prod-4411-reports
         and re-saves allow-https unchanged (not drift).
tests/scan/examples.sh holds the findings this story must produce.
"""
import base64
import hashlib
import json
import os
import random
import string
import uuid
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.Random(20240527)

ACCT = "111122223333"
REGION = "eu-west-1"
AZS = {"a": "eu-west-1a", "b": "eu-west-1b", "c": "eu-west-1c"}
AZ_IDS = {"a": "euw1-az3", "b": "euw1-az1", "c": "euw1-az2"}
DAY = "2024-05-27"

# Everything the events name, so state and logs agree.
VPC = "vpc-0c5e3b9a1d2f47a86"
SUB_PRIV = {"a": "subnet-0a1f5c3e9b7d20461", "b": "subnet-0b2e6d4f8a1c30572", "c": "subnet-0c3d7e5a9b2f41683"}
SUB_PUB = {"a": "subnet-0d4c8f6b1a3e52794", "b": "subnet-0e5b9a7c2d4f638a5", "c": "subnet-0f6a0b8d3e5c749b6"}
CIDR_PRIV = {"a": "10.40.1.0/24", "b": "10.40.2.0/24", "c": "10.40.3.0/24"}
CIDR_PUB = {"a": "10.40.101.0/24", "b": "10.40.102.0/24", "c": "10.40.103.0/24"}
IGW = "igw-0f1e2d3c4b5a69788"
EIP = "eipalloc-0a9b8c7d6e5f40312"
NAT = "nat-0e4d3c2b1a0f98765"
RTB_PUB = "rtb-0b3c5d7e9f1a2b4c6"
RTB_PRIV = "rtb-0c4d6e8f0a2b3c5d7"
RTA_PUB = {"a": "rtbassoc-0a1b3c5d7e9f02468", "b": "rtbassoc-0b2c4d6e8f0a13579", "c": "rtbassoc-0c3d5e7f9a1b2468a"}
RTA_PRIV = {"a": "rtbassoc-0d4e6f8a0b2c3579b", "b": "rtbassoc-0e5f7a9b1c3d468ac", "c": "rtbassoc-0f6a8b0c2d4e579bd"}
SG_WEB = "sg-0a1b2c3d4e5f60718"
SG_DB = "sg-0f9e8d7c6b5a40321"
LT = "lt-0a2b4c6d8e0f13579"
AMI_WEB = "ami-0b7c3e1f9d2a46c58"
AMI_WORKER_OLD = "ami-09e4d2c6b8a1f3057"
AMI_WORKER = "ami-0d1e2f3a4b5c6d7e8"
WEB = ["i-04d3e1f2a9b8c7d61", "i-0e5f6a7b8c9d0e1f2", "i-09f8e7d6c5b4a3921"]
WEB_IP = ["10.40.1.23", "10.40.2.57", "10.40.3.41"]
WEB_ENI = ["eni-0a7b1c2d3e4f50617", "eni-0b8c2d3e4f5a61728", "eni-0c9d3e4f5a6b72839"]
WEB_VOL = ["vol-0a1e2b3f4c5d6e7f8", "vol-0b2f3c4a5d6e7f809", "vol-0c3a4d5b6e7f8091a"]
WORKER_OLD = ["i-0f3e2d1c0b9a87654", "i-0e9d8c7b6a5f43210"]
WORKER_NEW = ["i-0c1d2e3f4a5b6c7d8", "i-07a6b5c4d3e2f1a09"]
WORKER_SCALE = "i-0b8a7c6d5e4f30291"
LB_ARN = "arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/prod-web/5f1e2d3c4b5a6978" % (REGION, ACCT)
TG_ARN = "arn:aws:elasticloadbalancing:%s:%s:targetgroup/prod-web/9a8b7c6d5e4f3a2b" % (REGION, ACCT)
LISTENER_ARN = "arn:aws:elasticloadbalancing:%s:%s:listener/app/prod-web/5f1e2d3c4b5a6978/1a2b3c4d5e6f7a8b" % (REGION, ACCT)
LOGS = "corp-prod-logs-%s" % ACCT
KMS_ID = "3f9a1c2e-7b4d-4e8f-9a6b-1c2d3e4f5a6b"
KMS_ARN = "arn:aws:kms:%s:%s:key/%s" % (REGION, ACCT, KMS_ID)
TRAIL_ARN = "arn:aws:cloudtrail:%s:%s:trail/prod-trail" % (REGION, ACCT)
DB_RID = "db-7KXQ2M4RZB5TNPLWJ3HVYCDE6A"
DB_HOST = "prod-db.c3x9kq7vhz2m.eu-west-1.rds.amazonaws.com"
# The database password in state: it must never appear in tfdrift's output.
DB_PASSWORD = "pR0d-db!Zq8t1LrvE2pX7mWc"
LAMBDA_ARN = "arn:aws:lambda:%s:%s:function:prod-api" % (REGION, ACCT)
EXPORT_BUCKET = "corp-prod-exports-20240527"
BOT_KEY = "AKIARZ5YQ3NPL4XWKM7Q"

DEFAULT_TAGS = {"Environment": "prod", "ManagedBy": "terraform", "Owner": "platform-team",
                "Repository": "github.com/corp/infra"}

PROJECT = "corp-prod-4411"
PROJECT_NUMBER = "482913507726"
GREGION = "europe-west1"
GZONE = "europe-west1-b"
COMPUTE = "https://www.googleapis.com/compute/v1/projects/%s" % PROJECT


# ---- helpers -------------------------------------------------------------------------------

def rid(n, alphabet="0123456789abcdef"):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def uuid4():
    return str(uuid.UUID(int=RNG.getrandbits(128), version=4))


def s3_request_id():
    return rid(16, string.ascii_uppercase + string.digits)


def amz_id_2():
    return base64.b64encode(bytes(RNG.getrandbits(8) for _ in range(57))).decode()


def sort_deep(v):
    """Terraform writes attribute objects with sorted keys (cty JSON)."""
    if isinstance(v, dict):
        return {k: sort_deep(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [sort_deep(x) for x in v]
    return v


def tags_all(tags):
    t = dict(DEFAULT_TAGS)
    t.update(tags)
    return t


def jdump(obj):
    """A policy as Terraform stores it: compact JSON."""
    return json.dumps(obj, separators=(",", ":"))


def private_timeouts(create=None, delete=None, update=None, schema="1"):
    t = {}
    if create:
        t["create"] = create * 60 * 10 ** 9
    if delete:
        t["delete"] = delete * 60 * 10 ** 9
    if update:
        t["update"] = update * 60 * 10 ** 9
    p = {"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0": t, "schema_version": schema}
    return base64.b64encode(json.dumps(p, separators=(",", ":")).encode()).decode()


NULL_PRIVATE = "bnVsbA=="   # base64("null"): what most resources carry


def at(hms, ms=None):
    return "%sT%sZ" % (DAY, hms)


def epoch_ms(hms):
    d = datetime.strptime("%s %s" % (DAY, hms), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return int(d.timestamp() * 1000)


# ---- the AWS state ---------------------------------------------------------------------------

class State:
    def __init__(self, provider):
        self.provider = provider
        self.groups = {}

    def add(self, module, type_, name, attrs, deps=(), index=None, schema=0, sensitive=(),
            private=NULL_PRIVATE, mode="managed", create_before_destroy=False):
        key = (module or "", mode, type_, name)
        g = self.groups.get(key)
        if g is None:
            g = {}
            if module:
                g["module"] = module
            g.update({"mode": mode, "type": type_, "name": name,
                      "provider": 'provider["registry.terraform.io/hashicorp/%s"]' % self.provider,
                      "instances": []})
            self.groups[key] = g
        inst = {}
        if index is not None:
            inst["index_key"] = index
        inst["schema_version"] = schema
        inst["attributes"] = sort_deep(attrs)
        inst["sensitive_attributes"] = [list(p) for p in sensitive]
        if mode == "managed" and private is not None:
            inst["private"] = private
        if deps:
            inst["dependencies"] = sorted(set(deps))
        if create_before_destroy:
            inst["create_before_destroy"] = True
        g["instances"].append(inst)

    def document(self, serial, lineage, outputs):
        res = [self.groups[k] for k in sorted(self.groups)]
        for g in res:
            g["instances"].sort(key=lambda i: (isinstance(i.get("index_key"), str),
                                               i.get("index_key", 0)))
        return {"version": 4, "terraform_version": "1.5.7", "serial": serial, "lineage": lineage,
                "outputs": outputs, "resources": res, "check_results": None}


def get_attr(name):
    return {"type": "get_attr", "value": name}


def aws_state():
    st = State("aws")
    vpc_arn = "arn:aws:ec2:%s:%s:vpc/%s" % (REGION, ACCT, VPC)
    net_vpc = ["module.net.aws_vpc.main"]

    # -- root: identity, policy documents ---------------------------------------------------
    st.add(None, "aws_caller_identity", "current", {
        "account_id": ACCT, "arn": "arn:aws:sts::%s:assumed-role/terraform-ci/gha-run-1234" % ACCT,
        "id": ACCT, "user_id": "AROARZ5YQ3NPK7TDX4C2M:gha-run-1234"}, mode="data")
    assume_ec2 = {"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Allow", "Action": "sts:AssumeRole",
                                                          "Principal": {"Service": "ec2.amazonaws.com"}}]}
    st.add(None, "aws_iam_policy_document", "app_assume", {
        "id": "2851119427", "json": json.dumps(assume_ec2, indent=2), "override_json": None,
        "override_policy_documents": None, "policy_id": None, "source_json": None,
        "source_policy_documents": None, "version": "2012-10-17",
        "statement": [{"actions": ["sts:AssumeRole"], "condition": [], "effect": "Allow", "not_actions": [],
                       "not_principals": [], "not_resources": [],
                       "principals": [{"identifiers": ["ec2.amazonaws.com"], "type": "Service"}],
                       "resources": [], "sid": ""}]}, mode="data")

    # -- root: KMS ---------------------------------------------------------------------------
    key_policy = {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCT}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "AllowCloudTrailEncrypt", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:%s:trail/*" % ACCT}}}]}
    st.add(None, "aws_kms_key", "data", {
        "arn": KMS_ARN, "bypass_policy_lockout_safety_check": False, "custom_key_store_id": "",
        "customer_master_key_spec": "SYMMETRIC_DEFAULT", "deletion_window_in_days": 30,
        "description": "prod data at rest (RDS, S3 logs, CloudTrail)", "enable_key_rotation": True,
        "id": KMS_ID, "is_enabled": True, "key_id": KMS_ID, "key_usage": "ENCRYPT_DECRYPT",
        "multi_region": False, "policy": jdump(key_policy), "rotation_period_in_days": 365,
        "tags": {"Name": "prod-data"}, "tags_all": tags_all({"Name": "prod-data"}), "timeouts": None,
        "xks_key_id": ""}, private=private_timeouts(create=2))
    st.add(None, "aws_kms_alias", "data", {
        "arn": "arn:aws:kms:%s:%s:alias/prod-data" % (REGION, ACCT), "id": "alias/prod-data",
        "name": "alias/prod-data", "name_prefix": "", "target_key_arn": KMS_ARN, "target_key_id": KMS_ID},
        deps=["aws_kms_key.data"])

    # -- root: the logs bucket ------------------------------------------------------------------
    logs_policy = logs_bucket_policy()
    st.add(None, "aws_s3_bucket", "logs", {
        "acceleration_status": "", "acl": None, "arn": "arn:aws:s3:::%s" % LOGS, "bucket": LOGS,
        "bucket_domain_name": "%s.s3.amazonaws.com" % LOGS, "bucket_prefix": "",
        "bucket_regional_domain_name": "%s.s3.%s.amazonaws.com" % (LOGS, REGION), "cors_rule": [],
        "force_destroy": False,
        "grant": [{"id": "5d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a2910", "permissions": ["FULL_CONTROL"],
                   "type": "CanonicalUser", "uri": ""}],
        "hosted_zone_id": "Z1BKCTXD74EZPE", "id": LOGS, "lifecycle_rule": [], "logging": [],
        "object_lock_configuration": [], "object_lock_enabled": False, "policy": jdump(logs_policy),
        "region": REGION, "replication_configuration": [], "request_payer": "BucketOwner",
        "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [
            {"kms_master_key_id": KMS_ARN, "sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}]}],
        "tags": {"Name": LOGS, "DataClass": "audit"}, "tags_all": tags_all({"Name": LOGS, "DataClass": "audit"}),
        "timeouts": None, "versioning": [{"enabled": True, "mfa_delete": False}], "website": [],
        "website_domain": None, "website_endpoint": None})
    st.add(None, "aws_s3_bucket_policy", "logs", {"bucket": LOGS, "id": LOGS, "policy": jdump(logs_policy)},
           deps=["aws_s3_bucket.logs", "data.aws_caller_identity.current"])
    st.add(None, "aws_s3_bucket_versioning", "logs", {
        "bucket": LOGS, "expected_bucket_owner": "", "id": LOGS, "mfa": None,
        "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]}, deps=["aws_s3_bucket.logs"])
    st.add(None, "aws_s3_bucket_public_access_block", "logs", {
        "block_public_acls": True, "block_public_policy": True, "bucket": LOGS, "id": LOGS,
        "ignore_public_acls": True, "restrict_public_buckets": True}, deps=["aws_s3_bucket.logs"])
    st.add(None, "aws_s3_bucket_server_side_encryption_configuration", "logs", {
        "bucket": LOGS, "expected_bucket_owner": "", "id": LOGS,
        "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": KMS_ARN, "sse_algorithm": "aws:kms"}],
                  "bucket_key_enabled": True}]}, deps=["aws_kms_key.data", "aws_s3_bucket.logs"])

    # -- root: CloudTrail -----------------------------------------------------------------------
    st.add(None, "aws_cloudtrail", "main", {
        "advanced_event_selector": [], "arn": TRAIL_ARN, "cloud_watch_logs_group_arn": "",
        "cloud_watch_logs_role_arn": "", "enable_log_file_validation": True, "enable_logging": True,
        "event_selector": [], "home_region": REGION, "id": TRAIL_ARN, "include_global_service_events": True,
        "insight_selector": [], "is_multi_region_trail": True, "is_organization_trail": False,
        "kms_key_id": KMS_ARN, "name": "prod-trail", "s3_bucket_name": LOGS, "s3_key_prefix": "cloudtrail",
        "sns_topic_name": "", "tags": {"Name": "prod-trail"}, "tags_all": tags_all({"Name": "prod-trail"})},
        deps=["aws_kms_key.data", "aws_s3_bucket.logs", "aws_s3_bucket_policy.logs", "data.aws_caller_identity.current"])

    # -- root: IAM --------------------------------------------------------------------------------
    assume_lambda = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"Service": "lambda.amazonaws.com"}}]}
    st.add(None, "aws_iam_role", "app", {
        "arn": "arn:aws:iam::%s:role/prod-app" % ACCT,
        "assume_role_policy": jdump({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                                    "Principal": {"Service": "ec2.amazonaws.com"}, "Sid": ""}],
                                     "Version": "2012-10-17"}),
        "create_date": "2023-11-02T14:21:07Z", "description": "Runtime role of the prod web and worker instances",
        "force_detach_policies": False, "id": "prod-app", "inline_policy": [],
        "managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                                "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"],
        "max_session_duration": 3600, "name": "prod-app", "name_prefix": "", "path": "/",
        "permissions_boundary": "", "tags": {"Name": "prod-app"}, "tags_all": tags_all({"Name": "prod-app"}),
        "unique_id": "AROARZ5YQ3NPLB4XW2K7M"}, deps=["data.aws_iam_policy_document.app_assume"])
    st.add(None, "aws_iam_role", "lambda", {
        "arn": "arn:aws:iam::%s:role/prod-api-lambda" % ACCT, "assume_role_policy": jdump(assume_lambda),
        "create_date": "2023-11-02T14:21:07Z", "description": "", "force_detach_policies": False,
        "id": "prod-api-lambda", "inline_policy": [],
        "managed_policy_arns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                                "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"],
        "max_session_duration": 3600, "name": "prod-api-lambda", "name_prefix": "", "path": "/",
        "permissions_boundary": "", "tags": {}, "tags_all": tags_all({}), "unique_id": "AROARZ5YQ3NPEQ7M2VD9T"})
    for name, role, policy, ts in (
            ("app_ssm", "prod-app", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "20231102142108532100000002"),
            ("app_cw", "prod-app", "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", "20231102142108617400000003"),
            ("lambda_basic", "prod-api-lambda", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
             "20231102142109105200000004"),
            ("lambda_vpc", "prod-api-lambda", "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
             "20231102142109233900000005")):
        st.add(None, "aws_iam_role_policy_attachment", name, {"id": "%s-%s" % (role, ts), "policy_arn": policy,
                                                              "role": role},
               deps=["aws_iam_role.app" if role == "prod-app" else "aws_iam_role.lambda"] +
               (["data.aws_iam_policy_document.app_assume"] if role == "prod-app" else []))
    st.add(None, "aws_iam_instance_profile", "app", {
        "arn": "arn:aws:iam::%s:instance-profile/prod-app" % ACCT, "create_date": "2023-11-02T14:21:08Z",
        "id": "prod-app", "name": "prod-app", "name_prefix": "", "path": "/", "role": "prod-app",
        "tags": {}, "tags_all": tags_all({}), "unique_id": "AIPARZ5YQ3NPGW6H3KX8B"},
        deps=["aws_iam_role.app", "data.aws_iam_policy_document.app_assume"])

    # -- root: RDS --------------------------------------------------------------------------------
    priv_subnets = ["module.net.aws_subnet.private"]
    st.add(None, "aws_db_subnet_group", "main", {
        "arn": "arn:aws:rds:%s:%s:subgrp:prod-db" % (REGION, ACCT), "description": "Managed by Terraform",
        "id": "prod-db", "name": "prod-db", "name_prefix": "", "subnet_ids": sorted(SUB_PRIV.values()),
        "supported_network_types": ["IPV4"], "tags": {"Name": "prod-db"}, "tags_all": tags_all({"Name": "prod-db"}),
        "vpc_id": VPC}, deps=priv_subnets + net_vpc)
    st.add(None, "aws_db_instance", "main", {
        "address": DB_HOST, "allocated_storage": 100, "allow_major_version_upgrade": None,
        "apply_immediately": False, "arn": "arn:aws:rds:%s:%s:db:prod-db" % (REGION, ACCT),
        "auto_minor_version_upgrade": True, "availability_zone": "eu-west-1a", "backup_retention_period": 7,
        "backup_target": "region", "backup_window": "02:00-02:30", "blue_green_update": [],
        "ca_cert_identifier": "rds-ca-rsa2048-g1", "character_set_name": "", "copy_tags_to_snapshot": True,
        "custom_iam_instance_profile": "", "customer_owned_ip_enabled": False, "db_name": "app",
        "db_subnet_group_name": "prod-db", "dedicated_log_volume": False, "delete_automated_backups": True,
        "deletion_protection": True, "domain": "", "domain_auth_secret_arn": "", "domain_dns_ips": None,
        "domain_fqdn": "", "domain_iam_role_name": "", "domain_ou": "",
        "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"], "endpoint": DB_HOST + ":5432",
        "engine": "postgres", "engine_version": "15.5", "engine_version_actual": "15.5",
        "final_snapshot_identifier": "prod-db-final", "hosted_zone_id": "Z29XKXDKYMONMX",
        "iam_database_authentication_enabled": True, "id": DB_RID, "identifier": "prod-db",
        "identifier_prefix": "", "instance_class": "db.r6g.large", "iops": 3000, "kms_key_id": KMS_ARN,
        "latest_restorable_time": "2024-05-27T07:25:41Z", "license_model": "postgresql-license",
        "listener_endpoint": [], "maintenance_window": "sun:03:00-sun:04:00", "manage_master_user_password": None,
        "master_user_secret": [], "master_user_secret_kms_key_id": None, "max_allocated_storage": 500,
        "monitoring_interval": 60, "monitoring_role_arn": "arn:aws:iam::%s:role/rds-monitoring-role" % ACCT,
        "multi_az": True, "nchar_character_set_name": "", "network_type": "IPV4",
        "option_group_name": "default:postgres-15", "parameter_group_name": "default.postgres15",
        "password": DB_PASSWORD, "performance_insights_enabled": True,
        "performance_insights_kms_key_id": KMS_ARN, "performance_insights_retention_period": 7, "port": 5432,
        "publicly_accessible": False, "replica_mode": "", "replicas": [], "replicate_source_db": "",
        "resource_id": DB_RID, "restore_to_point_in_time": [], "s3_import": [], "skip_final_snapshot": False,
        "snapshot_identifier": None, "status": "available", "storage_encrypted": True, "storage_throughput": 125,
        "storage_type": "gp3", "tags": {"Name": "prod-db"}, "tags_all": tags_all({"Name": "prod-db"}),
        "timeouts": None, "timezone": "", "username": "app_admin", "vpc_security_group_ids": [SG_DB]},
        schema=2, sensitive=[[get_attr("password")]],
        private=private_timeouts(create=40, delete=60, update=80, schema="2"),
        deps=["aws_db_subnet_group.main", "aws_kms_key.data", "module.net.aws_security_group.db",
              "module.net.aws_security_group.web"] + priv_subnets + net_vpc)

    # -- root: Lambda -----------------------------------------------------------------------------
    st.add(None, "aws_cloudwatch_log_group", "api", {
        "arn": "arn:aws:logs:%s:%s:log-group:/aws/lambda/prod-api" % (REGION, ACCT), "id": "/aws/lambda/prod-api",
        "kms_key_id": "", "log_group_class": "STANDARD", "name": "/aws/lambda/prod-api", "name_prefix": "",
        "retention_in_days": 30, "skip_destroy": False, "tags": {}, "tags_all": tags_all({})})
    st.add(None, "aws_lambda_function", "api", {
        "architectures": ["arm64"], "arn": LAMBDA_ARN, "code_signing_config_arn": "", "dead_letter_config": [],
        "description": "Public API (prod)",
        "environment": [{"variables": {"DB_HOST": DB_HOST, "DB_NAME": "app", "LOG_LEVEL": "info"}}],
        "ephemeral_storage": [{"size": 512}], "file_system_config": [], "filename": "build/api.zip",
        "function_name": "prod-api", "handler": "app.handler", "id": "prod-api", "image_config": [],
        "image_uri": "",
        "invoke_arn": "arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations" % (REGION, LAMBDA_ARN),
        "kms_key_arn": "", "last_modified": "2024-05-27T07:31:09.000+0000", "layers": [],
        "logging_config": [{"application_log_level": "", "log_format": "Text", "log_group": "/aws/lambda/prod-api",
                            "system_log_level": ""}],
        "memory_size": 256, "package_type": "Zip", "publish": False, "qualified_arn": LAMBDA_ARN + ":$LATEST",
        "qualified_invoke_arn": "arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s:$LATEST/invocations" % (REGION, LAMBDA_ARN),
        "replace_security_groups_on_destroy": None, "replacement_security_group_ids": None,
        "reserved_concurrent_executions": -1, "role": "arn:aws:iam::%s:role/prod-api-lambda" % ACCT,
        "runtime": "python3.12", "s3_bucket": None, "s3_key": None, "s3_object_version": None,
        "signing_job_arn": "", "signing_profile_version_arn": "", "skip_destroy": False, "snap_start": [],
        "source_code_hash": "q0m5Zq8VhTzv1c3jX2yR8nP4wK7sL6dF9gH0aJ1bC2e=", "source_code_size": 1843211,
        "tags": {"Name": "prod-api"}, "tags_all": tags_all({"Name": "prod-api"}), "timeout": 30,
        "timeouts": None, "tracing_config": [{"mode": "Active"}], "version": "$LATEST",
        "vpc_config": [{"ipv6_allowed_for_dual_stack": False, "security_group_ids": [SG_WEB],
                        "subnet_ids": sorted(SUB_PRIV.values()), "vpc_id": VPC}]},
        private=private_timeouts(create=10, delete=None, update=10),
        deps=["aws_cloudwatch_log_group.api", "aws_db_instance.main", "aws_iam_role.lambda",
              "aws_iam_role_policy_attachment.lambda_basic", "aws_iam_role_policy_attachment.lambda_vpc",
              "module.net.aws_security_group.web"] + priv_subnets + net_vpc)

    # -- module.net -------------------------------------------------------------------------------
    st.add("module.net", "aws_vpc", "main", {
        "arn": vpc_arn, "assign_generated_ipv6_cidr_block": False, "cidr_block": "10.40.0.0/16",
        "default_network_acl_id": "acl-0b7c1d2e3f4a5b6c7", "default_route_table_id": "rtb-0d1c2b3a4f5e6d7c8",
        "default_security_group_id": "sg-0e2d4c6b8a0f13579", "dhcp_options_id": "dopt-0a9b8c7d6e5f4a3b2",
        "enable_dns_hostnames": True, "enable_dns_support": True, "enable_network_address_usage_metrics": False,
        "id": VPC, "instance_tenancy": "default", "ipv4_ipam_pool_id": None, "ipv4_netmask_length": None,
        "ipv6_association_id": "", "ipv6_cidr_block": "", "ipv6_cidr_block_network_border_group": "",
        "ipv6_ipam_pool_id": "", "ipv6_netmask_length": 0, "main_route_table_id": "rtb-0d1c2b3a4f5e6d7c8",
        "owner_id": ACCT, "tags": {"Name": "prod-vpc"}, "tags_all": tags_all({"Name": "prod-vpc"})}, schema=1)
    for tier, subs, cidrs in (("private", SUB_PRIV, CIDR_PRIV), ("public", SUB_PUB, CIDR_PUB)):
        for k in "abc":
            tags = {"Name": "prod-%s-%s" % (tier, k), "Tier": tier}
            st.add("module.net", "aws_subnet", tier, {
                "arn": "arn:aws:ec2:%s:%s:subnet/%s" % (REGION, ACCT, subs[k]),
                "assign_ipv6_address_on_creation": False, "availability_zone": AZS[k],
                "availability_zone_id": AZ_IDS[k], "cidr_block": cidrs[k], "customer_owned_ipv4_pool": "",
                "enable_dns64": False, "enable_lni_at_device_index": 0,
                "enable_resource_name_dns_a_record_on_launch": False,
                "enable_resource_name_dns_aaaa_record_on_launch": False, "id": subs[k], "ipv6_cidr_block": "",
                "ipv6_cidr_block_association_id": "", "ipv6_native": False, "map_customer_owned_ip_on_launch": False,
                "map_public_ip_on_launch": tier == "public", "outpost_arn": "", "owner_id": ACCT,
                "private_dns_hostname_type_on_launch": "ip-name", "tags": tags, "tags_all": tags_all(tags),
                "timeouts": None, "vpc_id": VPC}, index=k, schema=1, deps=net_vpc,
                private=private_timeouts(create=10, delete=20, schema="1"))
    st.add("module.net", "aws_internet_gateway", "main", {
        "arn": "arn:aws:ec2:%s:%s:internet-gateway/%s" % (REGION, ACCT, IGW), "id": IGW, "owner_id": ACCT,
        "tags": {"Name": "prod-igw"}, "tags_all": tags_all({"Name": "prod-igw"}), "timeouts": None,
        "vpc_id": VPC}, deps=net_vpc)
    st.add("module.net", "aws_eip", "nat", {
        "address": None, "allocation_id": EIP, "arn": "arn:aws:ec2:%s:%s:elastic-ip/%s" % (REGION, ACCT, EIP),
        "associate_with_private_ip": None, "association_id": "eipassoc-0d2c4b6a8f0e13579", "carrier_ip": "",
        "customer_owned_ip": "", "customer_owned_ipv4_pool": "", "domain": "vpc", "id": EIP, "instance": "",
        "network_border_group": REGION, "network_interface": "eni-0f1a2b3c4d5e6f708",
        "private_dns": "ip-10-40-101-12.eu-west-1.compute.internal", "private_ip": "10.40.101.12",
        "public_dns": "ec2-52-48-117-9.eu-west-1.compute.amazonaws.com", "public_ip": "52.48.117.9",
        "public_ipv4_pool": "amazon", "tags": {"Name": "prod-nat"}, "tags_all": tags_all({"Name": "prod-nat"}),
        "timeouts": None, "vpc": True}, deps=["module.net.aws_internet_gateway.main"] + net_vpc,
        private=private_timeouts(delete=3, update=5))
    st.add("module.net", "aws_nat_gateway", "main", {
        "allocation_id": EIP, "association_id": "eipassoc-0d2c4b6a8f0e13579", "connectivity_type": "public",
        "id": NAT, "network_interface_id": "eni-0f1a2b3c4d5e6f708", "private_ip": "10.40.101.12",
        "public_ip": "52.48.117.9", "secondary_allocation_ids": [], "secondary_private_ip_address_count": 0,
        "secondary_private_ip_addresses": [], "subnet_id": SUB_PUB["a"], "tags": {"Name": "prod-nat"},
        "tags_all": tags_all({"Name": "prod-nat"}), "timeouts": None},
        deps=["module.net.aws_eip.nat", "module.net.aws_internet_gateway.main", "module.net.aws_subnet.public"] + net_vpc,
        private=private_timeouts(create=10, delete=30, update=10))
    blank_route = {"carrier_gateway_id": "", "core_network_arn": "", "destination_prefix_list_id": "",
                   "egress_only_gateway_id": "", "gateway_id": "", "ipv6_cidr_block": "", "local_gateway_id": "",
                   "nat_gateway_id": "", "network_interface_id": "", "transit_gateway_id": "",
                   "vpc_endpoint_id": "", "vpc_peering_connection_id": ""}
    for name, rtb, route, deps in (
            ("public", RTB_PUB, dict(blank_route, cidr_block="0.0.0.0/0", gateway_id=IGW),
             ["module.net.aws_internet_gateway.main"]),
            ("private", RTB_PRIV, dict(blank_route, cidr_block="0.0.0.0/0", nat_gateway_id=NAT),
             ["module.net.aws_eip.nat", "module.net.aws_internet_gateway.main", "module.net.aws_nat_gateway.main",
              "module.net.aws_subnet.public"])):
        st.add("module.net", "aws_route_table", name, {
            "arn": "arn:aws:ec2:%s:%s:route-table/%s" % (REGION, ACCT, rtb), "id": rtb, "owner_id": ACCT,
            "propagating_vgws": [], "route": [route], "tags": {"Name": "prod-%s" % name},
            "tags_all": tags_all({"Name": "prod-%s" % name}), "timeouts": None, "vpc_id": VPC},
            deps=deps + net_vpc, private=private_timeouts(create=5, delete=5, update=2))
    for tier, assoc, subs, rtb in (("public", RTA_PUB, SUB_PUB, RTB_PUB), ("private", RTA_PRIV, SUB_PRIV, RTB_PRIV)):
        for k in "abc":
            st.add("module.net", "aws_route_table_association", tier, {
                "gateway_id": "", "id": assoc[k], "route_table_id": rtb, "subnet_id": subs[k], "timeouts": None},
                index=k, deps=["module.net.aws_route_table.%s" % tier, "module.net.aws_subnet.%s" % tier] + net_vpc +
                (["module.net.aws_internet_gateway.main"] if tier == "public" else
                 ["module.net.aws_eip.nat", "module.net.aws_internet_gateway.main", "module.net.aws_nat_gateway.main",
                  "module.net.aws_subnet.public"]),
                private=private_timeouts(create=5, delete=5, update=2))
    rule = {"cidr_blocks": [], "description": "", "ipv6_cidr_blocks": [], "prefix_list_ids": [],
            "security_groups": [], "self": False}
    st.add("module.net", "aws_security_group", "web", {
        "arn": "arn:aws:ec2:%s:%s:security-group/%s" % (REGION, ACCT, SG_WEB), "description": "prod web tier",
        "egress": [dict(rule, cidr_blocks=["0.0.0.0/0"], from_port=0, to_port=0, protocol="-1")],
        "id": SG_WEB,
        "ingress": [dict(rule, cidr_blocks=["0.0.0.0/0"], description="HTTP (redirects to HTTPS)", from_port=80,
                         to_port=80, protocol="tcp"),
                    dict(rule, cidr_blocks=["0.0.0.0/0"], description="HTTPS", from_port=443, to_port=443,
                         protocol="tcp")],
        "name": "prod-web", "name_prefix": "", "owner_id": ACCT, "revoke_rules_on_delete": False,
        "tags": {"Name": "prod-web"}, "tags_all": tags_all({"Name": "prod-web"}), "timeouts": None, "vpc_id": VPC},
        schema=1, deps=net_vpc, private=private_timeouts(create=10, delete=15, schema="1"))
    st.add("module.net", "aws_security_group", "db", {
        "arn": "arn:aws:ec2:%s:%s:security-group/%s" % (REGION, ACCT, SG_DB), "description": "prod database",
        "egress": [], "id": SG_DB,
        "ingress": [dict(rule, description="PostgreSQL from the web tier", from_port=5432, to_port=5432,
                         protocol="tcp", security_groups=[SG_WEB])],
        "name": "prod-db", "name_prefix": "", "owner_id": ACCT, "revoke_rules_on_delete": False,
        "tags": {"Name": "prod-db"}, "tags_all": tags_all({"Name": "prod-db"}), "timeouts": None, "vpc_id": VPC},
        schema=1, deps=["module.net.aws_security_group.web"] + net_vpc,
        private=private_timeouts(create=10, delete=15, schema="1"))

    # -- module.app -------------------------------------------------------------------------------
    app_net = ["module.net.aws_security_group.web", "module.net.aws_subnet.private"] + net_vpc
    user_data = base64.b64encode(b"#cloud-config\npackages: [amazon-cloudwatch-agent]\nruncmd:\n"
                                 b"  - [systemctl, enable, --now, worker.service]\n").decode()
    st.add("module.app", "aws_launch_template", "worker", {
        "arn": "arn:aws:ec2:%s:%s:launch-template/%s" % (REGION, ACCT, LT),
        "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": [{
            "delete_on_termination": "true", "encrypted": "true", "iops": 3000, "kms_key_id": KMS_ARN,
            "snapshot_id": "", "throughput": 125, "volume_size": 30, "volume_type": "gp3"}],
            "no_device": "", "virtual_name": ""}],
        "capacity_reservation_specification": [], "cpu_options": [], "credit_specification": [],
        "default_version": 7, "description": "prod worker", "disable_api_stop": False,
        "disable_api_termination": False, "ebs_optimized": "", "elastic_gpu_specifications": [],
        "elastic_inference_accelerator": [], "enclave_options": [], "hibernation_options": [],
        "iam_instance_profile": [{"arn": "arn:aws:iam::%s:instance-profile/prod-app" % ACCT, "name": ""}],
        "id": LT, "image_id": AMI_WORKER, "instance_initiated_shutdown_behavior": "",
        "instance_market_options": [], "instance_requirements": [], "instance_type": "m6i.large",
        "kernel_id": "", "key_name": "", "latest_version": 7, "license_specification": [],
        "maintenance_options": [],
        "metadata_options": [{"http_endpoint": "enabled", "http_protocol_ipv6": "", "http_put_response_hop_limit": 2,
                              "http_tokens": "required", "instance_metadata_tags": ""}],
        "monitoring": [{"enabled": True}], "name": "prod-worker", "name_prefix": "", "network_interfaces": [],
        "placement": [], "private_dns_name_options": [], "ram_disk_id": "", "security_group_names": [],
        "tag_specifications": [{"resource_type": "instance", "tags": {"Name": "prod-worker", "Role": "worker"}}],
        "tags": {"Name": "prod-worker"}, "tags_all": tags_all({"Name": "prod-worker"}),
        "update_default_version": True, "user_data": user_data, "vpc_security_group_ids": [SG_WEB]},
        deps=["aws_iam_instance_profile.app", "aws_iam_role.app", "aws_kms_key.data",
              "data.aws_iam_policy_document.app_assume"] + app_net)
    st.add("module.app", "aws_autoscaling_group", "worker", {
        "arn": "arn:aws:autoscaling:%s:%s:autoScalingGroup:6b1e0f3c-27d4-4a9e-8c5b-3f2a1d0e9c87:autoScalingGroupName/prod-worker" % (REGION, ACCT),
        "availability_zones": sorted(AZS.values()), "capacity_rebalance": False, "context": "",
        "default_cooldown": 300, "default_instance_warmup": 0, "desired_capacity": 2, "desired_capacity_type": "",
        "enabled_metrics": [], "force_delete": False, "force_delete_warm_pool": False,
        "health_check_grace_period": 300, "health_check_type": "EC2", "id": "prod-worker",
        "ignore_failed_scaling_activities": False, "initial_lifecycle_hook": [], "instance_maintenance_policy": [],
        "instance_refresh": [{"preferences": [{"auto_rollback": False, "checkpoint_delay": "",
                                               "checkpoint_percentages": None, "instance_warmup": "",
                                               "max_healthy_percentage": 100, "min_healthy_percentage": 90,
                                               "scale_in_protected_instances": "Ignore", "skip_matching": False,
                                               "standby_instances": "Ignore"}],
                              "strategy": "Rolling", "triggers": None}],
        "launch_configuration": "", "launch_template": [{"id": LT, "name": "prod-worker", "version": "$Latest"}],
        "load_balancers": [], "max_instance_lifetime": 0, "max_size": 6, "metrics_granularity": "1Minute",
        "min_elb_capacity": None, "min_size": 2, "mixed_instances_policy": [], "name": "prod-worker",
        "name_prefix": "", "placement_group": "", "predicted_capacity": 0, "protect_from_scale_in": False,
        "service_linked_role_arn": "arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" % ACCT,
        "suspended_processes": [], "tag": [{"key": "Name", "propagate_at_launch": True, "value": "prod-worker"}],
        "target_group_arns": [], "termination_policies": [], "timeouts": None, "traffic_source": [],
        "vpc_zone_identifier": sorted(SUB_PRIV.values()), "wait_for_capacity_timeout": "10m",
        "wait_for_elb_capacity": None, "warm_pool": [], "warm_pool_size": 0},
        schema=1, deps=["module.app.aws_launch_template.worker", "aws_iam_instance_profile.app"] + app_net,
        private=private_timeouts(delete=10, update=10, schema="1"))
    for i in range(3):
        k = "abc"[i]
        tags = {"Name": "prod-web-%d" % i, "Role": "web", "Release": "2024-05-27"}
        st.add("module.app", "aws_instance", "web", {
            "ami": AMI_WEB, "arn": "arn:aws:ec2:%s:%s:instance/%s" % (REGION, ACCT, WEB[i]),
            "associate_public_ip_address": False, "availability_zone": AZS[k],
            "capacity_reservation_specification": [{"capacity_reservation_preference": "open",
                                                     "capacity_reservation_target": []}],
            "cpu_core_count": 1, "cpu_options": [{"amd_sev_snp": "", "core_count": 1, "threads_per_core": 2}],
            "cpu_threads_per_core": 2, "credit_specification": [{"cpu_credits": "unlimited"}],
            "disable_api_stop": False, "disable_api_termination": True, "ebs_block_device": [],
            "ebs_optimized": False, "enclave_options": [{"enabled": False}], "ephemeral_block_device": [],
            "get_password_data": False, "hibernation": False, "host_id": "", "host_resource_group_arn": None,
            "iam_instance_profile": "prod-app", "id": WEB[i], "instance_initiated_shutdown_behavior": "stop",
            "instance_lifecycle": "", "instance_market_options": [], "instance_state": "running",
            "instance_type": "t3.medium", "ipv6_address_count": 0, "ipv6_addresses": [], "key_name": "",
            "launch_template": [], "maintenance_options": [{"auto_recovery": "default"}],
            "metadata_options": [{"http_endpoint": "enabled", "http_protocol_ipv6": "disabled",
                                  "http_put_response_hop_limit": 2, "http_tokens": "required",
                                  "instance_metadata_tags": "disabled"}],
            "monitoring": True, "network_interface": [], "outpost_arn": "", "password_data": "",
            "placement_group": "", "placement_partition_number": 0, "primary_network_interface_id": WEB_ENI[i],
            "private_dns": "ip-%s.eu-west-1.compute.internal" % WEB_IP[i].replace(".", "-"),
            "private_dns_name_options": [{"enable_resource_name_dns_a_record": False,
                                          "enable_resource_name_dns_aaaa_record": False, "hostname_type": "ip-name"}],
            "private_ip": WEB_IP[i], "public_dns": "", "public_ip": "",
            "root_block_device": [{"delete_on_termination": True, "device_name": "/dev/xvda", "encrypted": True,
                                   "iops": 3000, "kms_key_id": KMS_ARN, "tags": {}, "throughput": 125,
                                   "volume_id": WEB_VOL[i], "volume_size": 20, "volume_type": "gp3"}],
            "secondary_private_ips": [], "security_groups": [], "source_dest_check": True,
            "spot_instance_request_id": "", "subnet_id": SUB_PRIV[k], "tags": tags, "tags_all": tags_all(tags),
            "tenancy": "default", "timeouts": None, "user_data": "2a6f0c5d9e3b18f47a2c6e0d9b3f51a8e7c4d2b0",
            "user_data_base64": None, "user_data_replace_on_change": False, "volume_tags": None,
            "vpc_security_group_ids": [SG_WEB]},
            index=i, schema=1, deps=["aws_iam_instance_profile.app", "aws_iam_role.app", "aws_kms_key.data",
                                     "data.aws_iam_policy_document.app_assume"] + app_net,
            private=private_timeouts(create=10, delete=20, update=10, schema="1"))
    lb_deps = ["aws_s3_bucket.logs", "module.net.aws_security_group.web", "module.net.aws_subnet.public"] + net_vpc
    st.add("module.app", "aws_lb", "web", {
        "access_logs": [{"bucket": LOGS, "enabled": True, "prefix": "alb"}], "arn": LB_ARN,
        "arn_suffix": "app/prod-web/5f1e2d3c4b5a6978", "client_keep_alive": 3600,
        "connection_logs": [{"bucket": "", "enabled": False, "prefix": ""}], "customer_owned_ipv4_pool": "",
        "desync_mitigation_mode": "defensive", "dns_name": "prod-web-1843201577.eu-west-1.elb.amazonaws.com",
        "dns_record_client_routing_policy": None, "drop_invalid_header_fields": True,
        "enable_cross_zone_load_balancing": True, "enable_deletion_protection": True, "enable_http2": True,
        "enable_tls_version_and_cipher_suite_headers": False, "enable_waf_fail_open": False,
        "enable_xff_client_port": False, "enforce_security_group_inbound_rules_on_private_link_traffic": "",
        "id": LB_ARN, "idle_timeout": 60, "internal": False, "ip_address_type": "ipv4",
        "load_balancer_type": "application", "name": "prod-web", "name_prefix": "",
        "preserve_host_header": False, "security_groups": [SG_WEB],
        "subnet_mapping": [{"allocation_id": "", "ipv6_address": "", "outpost_id": "", "private_ipv4_address": "",
                            "subnet_id": SUB_PUB[k]} for k in "abc"],
        "subnets": sorted(SUB_PUB.values()), "tags": {"Name": "prod-web"}, "tags_all": tags_all({"Name": "prod-web"}),
        "timeouts": None, "vpc_id": VPC, "xff_header_processing_mode": "append", "zone_id": "Z32O12XQLNTSW2"},
        deps=lb_deps, private=private_timeouts(create=10, delete=10, update=10))
    st.add("module.app", "aws_lb_target_group", "web", {
        "arn": TG_ARN, "arn_suffix": "targetgroup/prod-web/9a8b7c6d5e4f3a2b", "connection_termination": None,
        "deregistration_delay": "60",
        "health_check": [{"enabled": True, "healthy_threshold": 3, "interval": 15, "matcher": "200-399",
                          "path": "/healthz", "port": "traffic-port", "protocol": "HTTPS", "timeout": 5,
                          "unhealthy_threshold": 3}],
        "id": TG_ARN, "ip_address_type": "ipv4", "lambda_multi_value_headers_enabled": False,
        "load_balancer_arns": [LB_ARN], "load_balancing_algorithm_type": "round_robin",
        "load_balancing_anomaly_mitigation": "off",
        "load_balancing_cross_zone_enabled": "use_load_balancer_configuration", "name": "prod-web",
        "name_prefix": "", "port": 443, "preserve_client_ip": None, "protocol": "HTTPS",
        "protocol_version": "HTTP1", "proxy_protocol_v2": False, "slow_start": 0,
        "stickiness": [{"cookie_duration": 86400, "cookie_name": "", "enabled": False, "type": "lb_cookie"}],
        "tags": {"Name": "prod-web"}, "tags_all": tags_all({"Name": "prod-web"}), "target_failover": [],
        "target_health_state": [], "target_type": "instance", "vpc_id": VPC}, deps=net_vpc)
    st.add("module.app", "aws_lb_listener", "http", {
        "alpn_policy": None, "arn": LISTENER_ARN, "certificate_arn": None,
        "default_action": [{"authenticate_cognito": [], "authenticate_oidc": [], "fixed_response": [],
                            "forward": [], "order": 1, "redirect": [], "target_group_arn": TG_ARN,
                            "type": "forward"}],
        "id": LISTENER_ARN, "load_balancer_arn": LB_ARN, "mutual_authentication": [], "port": 80,
        "protocol": "HTTP", "ssl_policy": "", "tags": {}, "tags_all": tags_all({}), "timeouts": None},
        deps=["module.app.aws_lb.web", "module.app.aws_lb_target_group.web"] + lb_deps,
        private=private_timeouts(create=5, update=5))
    for i in range(3):
        st.add("module.app", "aws_lb_target_group_attachment", "web", {
            "availability_zone": None, "id": "%s-2024031210150488150000000%d" % (TG_ARN, i + 4), "port": 443,
            "target_group_arn": TG_ARN, "target_id": WEB[i]},
            index=i, deps=["module.app.aws_instance.web", "module.app.aws_lb_target_group.web",
                           "aws_iam_instance_profile.app", "aws_iam_role.app", "aws_kms_key.data",
                           "data.aws_iam_policy_document.app_assume"] + app_net)

    outputs = {
        "alb_dns_name": {"value": "prod-web-1843201577.eu-west-1.elb.amazonaws.com", "type": "string"},
        "db_endpoint": {"value": DB_HOST + ":5432", "type": "string"},
        "logs_bucket": {"value": LOGS, "type": "string"},
        "vpc_id": {"value": VPC, "type": "string"},
    }
    return st.document(42, "8f0c2b7e-5d1a-4c3b-9e6f-2a7d4b1c0e93", outputs)


def logs_bucket_policy():
    """The logs bucket's policy, as Terraform wrote it (statement order of the configuration)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::%s" % LOGS,
         "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::%s/cloudtrail/AWSLogs/%s/*" % (LOGS, ACCT),
         "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}}},
        {"Sid": "ALBAccessLogs", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::156460612806:root"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::%s/alb/AWSLogs/%s/*" % (LOGS, ACCT)},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::%s" % LOGS, "arn:aws:s3:::%s/*" % LOGS],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def reorder_keys(v):
    """The same document with every object's keys in reverse order (what the console's policy
    editor gives back after a re-save): equal as a policy, different as text."""
    if isinstance(v, dict):
        return {k: reorder_keys(v[k]) for k in reversed(list(v))}
    if isinstance(v, list):
        return [reorder_keys(x) for x in v]
    return v


# ---- the GCP state ---------------------------------------------------------------------------

def gcp_state():
    st = State("google")
    net_link = "%s/global/networks/corp-prod-vpc" % COMPUTE
    st.add(None, "google_compute_network", "main", {
        "auto_create_subnetworks": False, "delete_default_routes_on_create": False, "description": "",
        "enable_ula_internal_ipv6": False, "gateway_ipv4": "",
        "id": "projects/%s/global/networks/corp-prod-vpc" % PROJECT, "internal_ipv6_range": "", "mtu": 1460,
        "name": "corp-prod-vpc", "network_firewall_policy_enforcement_order": "AFTER_CLASSIC_FIREWALL",
        "numeric_id": "4718293746501827364", "project": PROJECT, "routing_mode": "REGIONAL", "self_link": net_link,
        "timeouts": None}, private=private_timeouts(create=20, delete=20, update=20))
    subnets = {"app": ("corp-prod-app", "10.60.0.0/20", "10.60.0.1"),
               "data": ("corp-prod-data", "10.60.16.0/20", "10.60.16.1")}
    for key, (name, cidr, gw) in subnets.items():
        sid = "projects/%s/regions/%s/subnetworks/%s" % (PROJECT, GREGION, name)
        st.add(None, "google_compute_subnetwork", key, {
            "creation_timestamp": "2023-10-04T06:12:45.511-07:00", "description": "", "external_ipv6_prefix": "",
            "fingerprint": None, "gateway_address": gw, "id": sid, "internal_ipv6_prefix": "",
            "ip_cidr_range": cidr, "ipv6_access_type": "", "ipv6_cidr_range": "",
            "log_config": [{"aggregation_interval": "INTERVAL_5_SEC", "filter_expr": "true", "flow_sampling": 0.5,
                            "metadata": "INCLUDE_ALL_METADATA", "metadata_fields": []}],
            "name": name, "network": net_link, "private_ip_google_access": True,
            "private_ipv6_google_access": "DISABLE_GOOGLE_ACCESS", "project": PROJECT, "purpose": "PRIVATE",
            "region": GREGION, "role": "", "secondary_ip_range": [], "self_link": "https://www.googleapis.com/compute/v1/" + sid,
            "send_secondary_ip_range_if_empty": None, "stack_type": "IPV4_ONLY", "timeouts": None},
            deps=["google_compute_network.main"], private=private_timeouts(create=20, delete=20, update=20))
    fws = {"allow_ssh": ("allow-ssh", "SSH through IAP only", ["22"], ["35.235.240.0/20"], ["ssh"]),
           "allow_https": ("allow-https", "HTTPS from the internet to the web tier", ["443"], ["0.0.0.0/0"], ["web"])}
    for key, (name, desc, ports, ranges, targets) in fws.items():
        fid = "projects/%s/global/firewalls/%s" % (PROJECT, name)
        st.add(None, "google_compute_firewall", key, {
            "allow": [{"ports": ports, "protocol": "tcp"}], "creation_timestamp": "2023-10-04T06:13:02.774-07:00",
            "deny": [], "description": desc, "destination_ranges": [], "direction": "INGRESS", "disabled": False,
            "enable_logging": None, "id": fid, "log_config": [{"metadata": "INCLUDE_ALL_METADATA"}], "name": name,
            "network": net_link, "priority": 1000, "project": PROJECT,
            "self_link": "https://www.googleapis.com/compute/v1/" + fid, "source_ranges": ranges,
            "source_service_accounts": None, "source_tags": None, "target_service_accounts": None,
            "target_tags": targets, "timeouts": None},
            schema=1, deps=["google_compute_network.main"], private=private_timeouts(create=20, delete=20, update=20))
    sa = {}
    for key, (acc, disp, uid) in {"deployer": ("deployer", "Deployer (CI rollouts)", "104518893320481765512"),
                                  "app": ("app-runtime", "prod app runtime", "117730462219580338071")}.items():
        email = "%s@%s.iam.gserviceaccount.com" % (acc, PROJECT)
        sa[key] = email
        st.add(None, "google_service_account", key, {
            "account_id": acc, "create_ignore_already_exists": None, "description": "", "disabled": False,
            "display_name": disp, "email": email,
            "id": "projects/%s/serviceAccounts/%s" % (PROJECT, email), "member": "serviceAccount:" + email,
            "name": "projects/%s/serviceAccounts/%s" % (PROJECT, email), "project": PROJECT, "timeouts": None,
            "unique_id": uid}, private=private_timeouts(create=5))
    for key, who, role, etag in (("deployer_compute", "deployer", "roles/compute.instanceAdmin.v1", "BwYZk2c8Pq4="),
                                 ("app_logging", "app", "roles/logging.logWriter", "BwYZk2c8Pq4="),
                                 ("app_metrics", "app", "roles/monitoring.metricWriter", "BwYZk2c8Pq4=")):
        member = "serviceAccount:" + sa[who]
        st.add(None, "google_project_iam_member", key, {
            "condition": [], "etag": etag, "id": "%s/%s/%s" % (PROJECT, role, member), "member": member,
            "project": PROJECT, "role": role}, deps=["google_service_account.%s" % who])
    for i in range(3):
        name = "app-%d" % i
        iid = "projects/%s/zones/%s/instances/%s" % (PROJECT, GZONE, name)
        labels = {"env": "prod", "role": "app", "release": "2024-05-27"}
        st.add(None, "google_compute_instance", "app", {
            "advanced_machine_features": [], "allow_stopping_for_update": None, "attached_disk": [],
            "boot_disk": [{"auto_delete": True, "device_name": "persistent-disk-0",
                           "disk_encryption_key_raw": "", "disk_encryption_key_sha256": "",
                           "initialize_params": [{"enable_confidential_compute": False,
                                                  "image": "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-12-bookworm-v20240515",
                                                  "labels": {}, "provisioned_iops": 0, "provisioned_throughput": 0,
                                                  "resource_manager_tags": None, "size": 20, "type": "pd-balanced"}],
                           "kms_key_self_link": "", "mode": "READ_WRITE",
                           "source": "%s/zones/%s/disks/%s" % (COMPUTE, GZONE, name)}],
            "can_ip_forward": False, "confidential_instance_config": [], "cpu_platform": "Intel Broadwell",
            "current_status": "RUNNING", "deletion_protection": False, "description": "", "desired_status": "RUNNING",
            "effective_labels": labels, "enable_display": False, "guest_accelerator": [], "hostname": "",
            "id": iid, "instance_id": str(7312684015529440000 + 1117 * i + 83), "label_fingerprint": "Xq4dV9lZ2jA=",
            "labels": labels, "machine_type": "e2-standard-2", "metadata": {"enable-oslogin": "TRUE"},
            "metadata_fingerprint": "p8V2xS0c1QY=", "metadata_startup_script": None, "min_cpu_platform": "",
            "name": name,
            "network_interface": [{"access_config": [], "alias_ip_range": [], "internal_ipv6_prefix_length": 0,
                                   "ipv6_access_config": [], "ipv6_access_type": "", "ipv6_address": "",
                                   "name": "nic0", "network": net_link, "network_ip": "10.60.0.%d" % (11 + i),
                                   "nic_type": "", "queue_count": 0, "stack_type": "IPV4_ONLY",
                                   "subnetwork": "%s/regions/%s/subnetworks/corp-prod-app" % (COMPUTE, GREGION),
                                   "subnetwork_project": PROJECT}],
            "network_performance_config": [], "params": [], "project": PROJECT, "reservation_affinity": [],
            "resource_policies": [],
            "scheduling": [{"automatic_restart": True, "instance_termination_action": "",
                            "local_ssd_recovery_timeout": [], "min_node_cpus": 0, "node_affinities": [],
                            "on_host_maintenance": "MIGRATE", "preemptible": False, "provisioning_model": "STANDARD"}],
            "scratch_disk": [], "self_link": "%s/zones/%s/instances/%s" % (COMPUTE, GZONE, name),
            "service_account": [{"email": sa["app"], "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}],
            "shielded_instance_config": [{"enable_integrity_monitoring": True, "enable_secure_boot": True,
                                          "enable_vtpm": True}],
            "tags": ["ssh", "web"], "tags_fingerprint": "6smc4R4d39I=", "terraform_labels": labels,
            "timeouts": None, "zone": GZONE},
            index=i, schema=6,
            sensitive=[[get_attr("boot_disk"), {"type": "index", "value": {"value": 0, "type": "number"}},
                        get_attr("disk_encryption_key_raw")]],
            deps=["google_compute_network.main", "google_compute_subnetwork.app", "google_service_account.app"],
            private=private_timeouts(create=20, delete=20, update=20, schema="6"))
    for key, name, labels in (("assets", "corp-prod-4411-assets", {"team": "web", "data": "public-assets"}),
                              ("reports", "corp-prod-4411-reports", {"team": "finance"})):
        st.add(None, "google_storage_bucket", key, {
            "autoclass": [], "cors": [], "custom_placement_config": [], "default_event_based_hold": False,
            "effective_labels": labels, "enable_object_retention": False, "encryption": [], "force_destroy": False,
            "id": name, "labels": labels, "lifecycle_rule": [], "location": "EUROPE-WEST1", "logging": [],
            "name": name, "project": PROJECT, "public_access_prevention": "enforced", "requester_pays": False,
            "retention_policy": [], "rpo": None, "self_link": "https://www.googleapis.com/storage/v1/b/" + name,
            "soft_delete_policy": [{"effective_time": "2024-03-01T08:00:00.000Z",
                                    "retention_duration_seconds": 604800}],
            "storage_class": "STANDARD", "terraform_labels": labels, "timeouts": None,
            "uniform_bucket_level_access": True, "url": "gs://" + name, "versioning": [{"enabled": True}],
            "website": []}, schema=1, private=private_timeouts(create=4, update=4, schema="1"))
    outputs = {"app_instances": {"value": ["app-0", "app-1", "app-2"], "type": ["tuple", ["string", "string", "string"]]}}
    return st.document(118, "2d6b9e41-0c7f-4a85-b3d2-91e8f5a7c604", outputs)


# ---- CloudTrail ------------------------------------------------------------------------------

TF_AWS_UA = ("APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 "
             "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.49.6 (go1.21.5; linux; amd64)")
TF_AWS_UA_V2 = ("APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 "
                "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 "
                "md/GOOS#linux md/GOARCH#amd64 api/%s")
CONSOLE_UA = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/125.0.0.0 Safari/537.36")
CLI_UA = ("aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-35-generic exe/x86_64.ubuntu.22 prompt/off command/%s")
BOTO_UA = ("Boto3/1.34.113 md/Botocore#1.34.113 ua/2.0 os/linux#5.15.0-1061-aws md/arch#x86_64 lang/python#3.11.9 "
           "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.113")
GRAFANA_UA = "aws-sdk-go/1.50.8 (go1.21.6; linux; amd64) Grafana/10.4.2"

ID_TF = {
    "type": "AssumedRole", "principalId": "AROARZ5YQ3NPK7TDX4C2M:gha-run-1234",
    "arn": "arn:aws:sts::%s:assumed-role/terraform-ci/gha-run-1234" % ACCT, "accountId": ACCT,
    "accessKeyId": "ASIARZ5YQ3NPC4M7TQ2X",
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROARZ5YQ3NPK7TDX4C2M",
                          "arn": "arn:aws:iam::%s:role/terraform-ci" % ACCT, "accountId": ACCT,
                          "userName": "terraform-ci"},
        "webIdFederationData": {
            "federatedProvider": "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % ACCT,
            "attributes": {}},
        "attributes": {"creationDate": "2024-05-27T07:29:41Z", "mfaAuthenticated": "false"}}}
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_5e8c1a2b3d4f6a7b"
ID_ALICE = {
    "type": "AssumedRole", "principalId": "AROARZ5YQ3NPHS5AD4M1X:alice@corp.example",
    "arn": "arn:aws:sts::%s:assumed-role/%s/alice@corp.example" % (ACCT, SSO_ROLE), "accountId": ACCT,
    "accessKeyId": "ASIARZ5YQ3NPJ2W6VN4E",
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROARZ5YQ3NPHS5AD4M1X",
                          "arn": "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s/%s" % (ACCT, REGION, SSO_ROLE),
                          "accountId": ACCT, "userName": SSO_ROLE},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2024-05-27T09:02:11Z", "mfaAuthenticated": "false"}}}
ID_BOB = {"type": "IAMUser", "principalId": "AIDARZ5YQ3NPD8B0B7Q2K", "arn": "arn:aws:iam::%s:user/bob" % ACCT,
          "accountId": ACCT, "accessKeyId": "AKIARZ5YQ3NPF6BOBK3D", "userName": "bob"}
ID_ETL = {"type": "IAMUser", "principalId": "AIDARZ5YQ3NPETL9R4NW8", "arn": "arn:aws:iam::%s:user/etl-runner" % ACCT,
          "accountId": ACCT, "accessKeyId": "AKIARZ5YQ3NPM2ETL7XC", "userName": "etl-runner"}
ID_ASG = {"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"}
ID_ASG_SLR = {
    "type": "AssumedRole", "principalId": "AROARZ5YQ3NPASG4Q8S7L:AutoScaling",
    "arn": "arn:aws:sts::%s:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling" % ACCT, "accountId": ACCT,
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROARZ5YQ3NPASG4Q8S7L",
                          "arn": "arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" % ACCT,
                          "accountId": ACCT, "userName": "AWSServiceRoleForAutoScaling"},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2024-05-27T07:33:39Z", "mfaAuthenticated": "false"}},
    "invokedBy": "autoscaling.amazonaws.com"}
ID_GRAFANA = {
    "type": "AssumedRole", "principalId": "AROARZ5YQ3NPGRF2C6W0V:grafana-cloudwatch",
    "arn": "arn:aws:sts::%s:assumed-role/grafana-cloudwatch/grafana-cloudwatch" % ACCT, "accountId": ACCT,
    "accessKeyId": "ASIARZ5YQ3NPQ9GRF1AZ",
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROARZ5YQ3NPGRF2C6W0V",
                          "arn": "arn:aws:iam::%s:role/grafana-cloudwatch" % ACCT, "accountId": ACCT,
                          "userName": "grafana-cloudwatch"},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2024-05-27T06:58:02Z", "mfaAuthenticated": "false"}}}
ID_CONFIG = {
    "type": "AssumedRole", "principalId": "AROARZ5YQ3NPCFG8K1T3D:AWSConfig-Describe",
    "arn": "arn:aws:sts::%s:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe" % ACCT, "accountId": ACCT,
    "accessKeyId": "ASIARZ5YQ3NPW7CFG0LM",
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROARZ5YQ3NPCFG8K1T3D",
                          "arn": "arn:aws:iam::%s:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig" % ACCT,
                          "accountId": ACCT, "userName": "AWSServiceRoleForConfig"},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2024-05-27T08:29:57Z", "mfaAuthenticated": "false"}},
    "invokedBy": "config.amazonaws.com"}
ID_CLOUDTRAIL = {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}

IP = {"tf": "4.231.92.17", "alice": "203.0.113.10", "bob": "198.51.100.23", "etl": "192.0.2.77",
      "grafana": "54.73.181.40"}

TLS12 = ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
TLS13 = ("TLSv1.3", "TLS_AES_128_GCM_SHA256")

RECORDS = []


def endpoint(service, region=REGION):
    if service == "iam":
        return "iam.amazonaws.com"
    return "%s.%s.amazonaws.com" % (service, region)


def ct(hms, source, name, who, ua, ip, req, resp=None, *, read_only=False, region=REGION, version="1.08",
       console=False, error=None, resources=None, extra=None, tls=TLS13, host=None, request_id=None,
       event_type="AwsApiCall", shared=False, s3=False, no_request_id=False):
    r = {"eventVersion": version, "userIdentity": who, "eventTime": at(hms), "eventSource": source,
         "eventName": name, "awsRegion": region, "sourceIPAddress": ip}
    if ua is not None:
        r["userAgent"] = ua
    if error:
        r["errorCode"], r["errorMessage"] = error
    r["requestParameters"] = req
    r["responseElements"] = resp
    if extra:
        r["additionalEventData"] = extra
    if s3:
        r["additionalEventData"] = {"SignatureVersion": "SigV4", "CipherSuite": tls[1] if tls else TLS12[1],
                                    "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                    "x-amz-id-2": amz_id_2(), "bytesTransferredOut": 0}
        if extra:
            r["additionalEventData"].update(extra)
    if not no_request_id:
        # EC2 echoes its request id in the response; CloudTrail logs the same value twice.
        echoed = resp.get("requestId") if isinstance(resp, dict) else None
        r["requestID"] = request_id or echoed or (s3_request_id() if s3 else uuid4())
    r["eventID"] = uuid4()
    r["readOnly"] = read_only
    if resources:
        r["resources"] = resources
    r["eventType"] = event_type
    r["managementEvent"] = True
    r["recipientAccountId"] = ACCT
    if shared:
        r["sharedEventID"] = uuid4()
    r["eventCategory"] = "Management"
    if console:
        r["sessionCredentialFromConsole"] = "true"
    if tls and who.get("type") != "AWSService" and "invokedBy" not in who:
        r["tlsDetails"] = {"tlsVersion": tls[0], "cipherSuite": tls[1],
                           "clientProvidedHostHeader": host or endpoint(source.split(".")[0], region)}
    RECORDS.append(r)
    return r


def ec2_resp(**kw):
    d = {"requestId": uuid4()}
    d.update(kw)
    return d


def s3_host(bucket):
    return "%s.s3.%s.amazonaws.com" % (bucket, REGION)


def s3_res(bucket):
    return [{"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::%s" % bucket}]


def kms_res():
    return [{"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": KMS_ARN}]


def perm(proto, frm, to, cidrs=(), groups=(), desc=None):
    p = {"ipProtocol": proto}
    if frm is not None:
        p["fromPort"], p["toPort"] = frm, to
    p["groups"] = {"items": [dict({"groupId": g}, **({"description": desc} if desc else {})) for g in groups]} if groups else {}
    p["ipRanges"] = {"items": [dict({"cidrIp": c}, **({"description": desc} if desc else {})) for c in cidrs]} if cidrs else {}
    p["ipv6Ranges"] = {}
    p["prefixListIds"] = {}
    return p


def instances_set(ids):
    return {"items": [{"instanceId": i} for i in ids]}


def state_change(ids, cur, prev):
    codes = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
    return ec2_resp(instancesSet={"items": [{"instanceId": i, "currentState": {"code": codes[cur], "name": cur},
                                             "previousState": {"code": codes[prev], "name": prev}} for i in ids]})


def run_instances_resp(iid, az_key, ip, hms):
    return ec2_resp(reservationId="r-0" + rid(16), ownerId=ACCT, groupSet={}, requesterId="940372691376",
                    instancesSet={"items": [{
                        "instanceId": iid, "imageId": AMI_WORKER, "currentInstanceBootMode": "legacy-bios",
                        "instanceState": {"code": 0, "name": "pending"},
                        "privateDnsName": "ip-%s.eu-west-1.compute.internal" % ip.replace(".", "-"),
                        "amiLaunchIndex": 0, "productCodes": {}, "instanceType": "m6i.large",
                        "launchTime": epoch_ms(hms), "placement": {"availabilityZone": AZS[az_key], "tenancy": "default"},
                        "monitoring": {"state": "pending"}, "subnetId": SUB_PRIV[az_key], "vpcId": VPC,
                        "privateIpAddress": ip, "stateReason": {"code": "pending", "message": "pending"},
                        "architecture": "x86_64", "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda",
                        "blockDeviceMapping": {}, "virtualizationType": "hvm", "clientToken": "fleet-" + uuid4(),
                        "tagSet": {"items": [{"key": "aws:autoscaling:groupName", "value": "prod-worker"},
                                             {"key": "Name", "value": "prod-worker"},
                                             {"key": "aws:ec2launchtemplate:id", "value": LT},
                                             {"key": "aws:ec2launchtemplate:version", "value": "7"}]},
                        "groupSet": {"items": [{"groupId": SG_WEB, "groupName": "prod-web"}]},
                        "sourceDestCheck": True, "hypervisor": "xen", "networkInterfaceSet": {"items": [{
                            "networkInterfaceId": "eni-0" + rid(16), "subnetId": SUB_PRIV[az_key], "vpcId": VPC,
                            "ownerId": ACCT, "status": "in-use", "privateIpAddress": ip, "sourceDestCheck": True,
                            "interfaceType": "interface"}]},
                        "iamInstanceProfile": {"arn": "arn:aws:iam::%s:instance-profile/prod-app" % ACCT,
                                               "id": "AIPARZ5YQ3NPGW6H3KX8B"},
                        "ebsOptimized": False, "enaSupport": True, "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
                        "capacityReservationSpecification": {"capacityReservationPreference": "open"},
                        "enclaveOptions": {"enabled": False},
                        "metadataOptions": {"state": "pending", "httpTokens": "required",
                                            "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled",
                                            "httpProtocolIpv4": "enabled", "httpProtocolIpv6": "disabled",
                                            "instanceMetadataTags": "disabled"},
                        "maintenanceOptions": {"autoRecovery": "default"},
                        "privateDnsNameOptions": {"hostnameType": "ip-name", "enableResourceNameDnsARecord": False,
                                                  "enableResourceNameDnsAAAARecord": False}}]})


def asg_run(hms, iid, az_key, ip):
    req = {"instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]}, "blockDeviceMapping": {},
           "availabilityZone": AZS[az_key], "monitoring": {"enabled": False}, "subnetId": SUB_PRIV[az_key],
           "disableApiTermination": False, "disableApiStop": False, "clientToken": "fleet-" + uuid4(),
           "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [
               {"key": "aws:autoscaling:groupName", "value": "prod-worker"}, {"key": "Name", "value": "prod-worker"}]}]},
           "launchTemplate": {"launchTemplateId": LT, "version": "7"}}
    ct(hms, "ec2.amazonaws.com", "RunInstances", ID_ASG_SLR, "autoscaling.amazonaws.com", "autoscaling.amazonaws.com",
       req, run_instances_resp(iid, az_key, ip, hms))


def asg_terminate(hms, iid):
    ct(hms, "ec2.amazonaws.com", "TerminateInstances", ID_ASG, "autoscaling.amazonaws.com",
       "autoscaling.amazonaws.com", {"instancesSet": instances_set([iid])}, state_change([iid], "shutting-down", "running"))


def grafana_poll(hms, n):
    if n % 3 == 2:
        ct(hms, "monitoring.amazonaws.com", "GetMetricData", ID_GRAFANA, GRAFANA_UA, IP["grafana"], {
            "metricDataQueries": [{"id": "a", "metricStat": {"metric": {
                "namespace": "AWS/ApplicationELB", "metricName": "HTTPCode_Target_5XX_Count",
                "dimensions": [{"name": "LoadBalancer", "value": "app/prod-web/5f1e2d3c4b5a6978"}]},
                "period": 60, "stat": "Sum"}, "returnData": True}],
            "startTime": "%sT%s:00Z" % (DAY, "%02d:%02d" % divmod(max(0, int(hms[:2]) * 60 + int(hms[3:5]) - 15), 60)),
            "endTime": at(hms[:5] + ":00"), "maxDatapoints": 100800}, None, read_only=True)
    elif n % 3 == 1:
        ct(hms, "rds.amazonaws.com", "DescribeDBInstances", ID_GRAFANA, GRAFANA_UA, IP["grafana"],
           {"dBInstanceIdentifier": "prod-db"}, None, read_only=True)
    else:
        ct(hms, "ec2.amazonaws.com", "DescribeInstances", ID_GRAFANA, GRAFANA_UA, IP["grafana"],
           {"instancesSet": {}, "filterSet": {"items": [{"name": "tag:Environment", "valueSet": {"items": [
               {"value": "prod"}]}}]}}, None, read_only=True)


def trail_generate_data_key(hms):
    stamp = hms[:2] + hms[3:5]
    ct(hms, "kms.amazonaws.com", "GenerateDataKey", ID_CLOUDTRAIL, "cloudtrail.amazonaws.com",
       "cloudtrail.amazonaws.com", {
           "keyId": KMS_ARN, "keySpec": "AES_256",
           "encryptionContext": {
               "aws:cloudtrail:arn": TRAIL_ARN,
               "aws:s3:arn": "arn:aws:s3:::%s/cloudtrail/AWSLogs/%s/CloudTrail/%s/2024/05/27/%s_CloudTrail_%s_20240527T%sZ_%s.json.gz"
                             % (LOGS, ACCT, REGION, ACCT, REGION, stamp, rid(16, string.ascii_letters + string.digits))}},
       None, read_only=True, resources=kms_res(), shared=True)


def trail_acl_check(hms):
    ct(hms, "s3.amazonaws.com", "GetBucketAcl", ID_CLOUDTRAIL, "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com",
       {"bucketName": LOGS, "Host": s3_host(LOGS), "acl": ""}, None, read_only=True, resources=s3_res(LOGS),
       s3=True, shared=True, extra={"bytesTransferredOut": 1062})


def cloudtrail():
    # --- early morning noise ---------------------------------------------------------------------
    trail_generate_data_key("07:02:14")
    polls = ["07:05:33", "07:15:41", "07:25:09", "07:50:02", "08:05:47", "08:20:13", "08:35:28", "08:50:44",
             "09:05:51", "09:20:36", "09:35:12", "09:50:58", "10:05:40", "10:20:04", "10:35:26", "10:50:31"]
    noise = {h: n for n, h in enumerate(polls)}
    early = [h for h in polls if h < "07:29"]
    for h in early:
        grafana_poll(h, noise[h])
    trail_acl_check("07:10:02")

    # --- 07:29 the Terraform pipeline ------------------------------------------------------------
    ct("07:29:40", "sts.amazonaws.com", "AssumeRoleWithWebIdentity", {
        "type": "WebIdentityUser", "principalId": "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:corp/infra:environment:prod" % ACCT,
        "userName": "repo:corp/infra:environment:prod",
        "identityProvider": "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % ACCT},
        "aws-sdk-js/2.1590.0 promise", IP["tf"], {
            "roleArn": "arn:aws:iam::%s:role/terraform-ci" % ACCT, "roleSessionName": "gha-run-1234",
            "durationSeconds": 3600},
        {"credentials": {"accessKeyId": "ASIARZ5YQ3NPC4M7TQ2X", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKENgha1234",
                         "expiration": "May 27, 2024, 8:29:41 AM"},
         "subjectFromWebIdentityToken": "repo:corp/infra:environment:prod",
         "assumedRoleUser": {"assumedRoleId": "AROARZ5YQ3NPK7TDX4C2M:gha-run-1234",
                             "arn": "arn:aws:sts::%s:assumed-role/terraform-ci/gha-run-1234" % ACCT},
         "provider": "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % ACCT,
         "audience": "sts.amazonaws.com"},
        read_only=True, resources=[{"accountId": ACCT, "type": "AWS::IAM::Role",
                                    "ARN": "arn:aws:iam::%s:role/terraform-ci" % ACCT}],
        host="sts.%s.amazonaws.com" % REGION)
    tf = dict(who=ID_TF, ip=IP["tf"])
    ct("07:29:52", "sts.amazonaws.com", "GetCallerIdentity", ua=TF_AWS_UA_V2 % "sts#1.26.6", req=None,
       read_only=True, **tf)
    ct("07:30:03", "ec2.amazonaws.com", "DescribeVpcs", ua=TF_AWS_UA, req={"vpcSet": {"items": [{"vpcId": VPC}]},
                                                                             "filterSet": {}}, read_only=True, **tf)
    ct("07:30:04", "ec2.amazonaws.com", "DescribeSubnets", ua=TF_AWS_UA, req={"subnetSet": {"items": [
        {"subnetId": s} for s in list(SUB_PRIV.values()) + list(SUB_PUB.values())]}}, read_only=True, **tf)
    ct("07:30:05", "ec2.amazonaws.com", "DescribeSecurityGroups", ua=TF_AWS_UA, req={"securityGroupIdSet": {
        "items": [{"groupId": SG_WEB}, {"groupId": SG_DB}]}}, read_only=True, **tf)
    ct("07:30:07", "ec2.amazonaws.com", "DescribeInstances", ua=TF_AWS_UA, req={
        "instancesSet": instances_set(WEB), "filterSet": {}}, read_only=True, **tf)
    ct("07:30:08", "ec2.amazonaws.com", "DescribeLaunchTemplateVersions", ua=TF_AWS_UA, req={
        "DescribeLaunchTemplateVersionsRequest": {"LaunchTemplateId": LT, "LaunchTemplateVersion": {"content": "$Default", "tag": 1}}},
        read_only=True, **tf)
    ct("07:30:10", "s3.amazonaws.com", "GetBucketPolicy", ua="[%s]" % TF_AWS_UA_V2 % "s3#1.47.7", req={
        "bucketName": LOGS, "Host": s3_host(LOGS), "policy": ""}, read_only=True, resources=s3_res(LOGS), s3=True,
        tls=TLS12, host=s3_host(LOGS), **tf)
    ct("07:30:11", "iam.amazonaws.com", "GetRole", ua=TF_AWS_UA, req={"roleName": "prod-app"}, read_only=True,
       region="us-east-1", tls=TLS12, **tf)
    ct("07:30:13", "rds.amazonaws.com", "DescribeDBInstances", ua=TF_AWS_UA, req={"dBInstanceIdentifier": DB_RID},
       read_only=True, **tf)
    ct("07:30:14", "lambda.amazonaws.com", "GetFunction20150331v2", ua=TF_AWS_UA_V2 % "lambda#1.49.6",
       req={"functionName": "prod-api"}, read_only=True, **tf)
    ct("07:30:15", "kms.amazonaws.com", "DescribeKey", ua=TF_AWS_UA, req={"keyId": KMS_ID}, read_only=True,
       resources=kms_res(), **tf)
    ct("07:30:16", "cloudtrail.amazonaws.com", "GetTrail", ua=TF_AWS_UA, req={"name": TRAIL_ARN}, read_only=True,
       version="1.09", **tf)
    # The apply.
    ct("07:31:02", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ua=TF_AWS_UA, req={
        "groupId": SG_DB, "ipPermissions": {"items": [perm("tcp", 5432, 5432, groups=[SG_WEB],
                                                            desc="PostgreSQL from the web tier")]}},
       resp=ec2_resp(_return=True, securityGroupRuleSet={"items": [{
           "groupOwnerId": ACCT, "groupId": SG_DB, "securityGroupRuleId": "sgr-0d5e7a9c1b3f24680",
           "description": "PostgreSQL from the web tier", "isEgress": False, "ipProtocol": "tcp", "fromPort": 5432,
           "toPort": 5432, "referencedGroupInfo": {"groupId": SG_WEB, "userId": ACCT}}]}), **tf)
    ct("07:31:04", "ec2.amazonaws.com", "CreateLaunchTemplateVersion", ua=TF_AWS_UA, req={
        "CreateLaunchTemplateVersionRequest": {
            "LaunchTemplateId": LT, "ClientToken": "terraform-20240527073104016900000001",
            "LaunchTemplateData": {"ImageId": AMI_WORKER, "InstanceType": "m6i.large",
                                   "IamInstanceProfile": {"Arn": "arn:aws:iam::%s:instance-profile/prod-app" % ACCT},
                                   "Monitoring": {"Enabled": True},
                                   "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                                                       "HttpEndpoint": "enabled"},
                                   "SecurityGroupId": {"content": SG_WEB, "tag": 1},
                                   "UserData": "<sensitiveDataRemoved>"}}},
       resp={"CreateLaunchTemplateVersionResponse": {
           "xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "requestId": uuid4(),
           "launchTemplateVersion": {"launchTemplateId": LT, "launchTemplateName": "prod-worker",
                                     "versionNumber": 7, "createTime": "2024-05-27T07:31:04.000Z",
                                     "createdBy": "arn:aws:sts::%s:assumed-role/terraform-ci/gha-run-1234" % ACCT,
                                     "defaultVersion": False,
                                     "launchTemplateData": {"imageId": AMI_WORKER, "instanceType": "m6i.large",
                                                            "userData": "<sensitiveDataRemoved>"}}}}, **tf)
    ct("07:31:05", "ec2.amazonaws.com", "ModifyLaunchTemplate", ua=TF_AWS_UA, req={
        "ModifyLaunchTemplateRequest": {"LaunchTemplateId": LT, "SetDefaultVersion": "7"}},
       resp={"ModifyLaunchTemplateResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "requestId": uuid4(),
                                              "launchTemplate": {"launchTemplateId": LT, "launchTemplateName": "prod-worker",
                                                                 "defaultVersionNumber": 7, "latestVersionNumber": 7}}},
       **tf)
    ct("07:31:09", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", ua=TF_AWS_UA_V2 % "lambda#1.49.6",
       req={"functionName": "prod-api", "description": "Public API (prod)", "timeout": 30},
       resp=lambda_config(30, 256, "2024-05-27T07:31:09.118+0000"), **tf)
    ct("07:31:12", "ec2.amazonaws.com", "CreateTags", ua=TF_AWS_UA, req={
        "resourcesSet": {"items": [{"resourceId": i} for i in WEB]},
        "tagSet": {"items": [{"key": "Release", "value": "2024-05-27"}]}}, resp=ec2_resp(_return=True), **tf)
    ct("07:31:20", "autoscaling.amazonaws.com", "StartInstanceRefresh", ua=TF_AWS_UA, req={
        "autoScalingGroupName": "prod-worker", "strategy": "Rolling",
        "preferences": {"minHealthyPercentage": 90, "maxHealthyPercentage": 100, "skipMatching": False,
                        "scaleInProtectedInstances": "Ignore", "standbyInstances": "Ignore"}},
       resp={"instanceRefreshId": uuid4()}, **tf)

    # --- 07:33 Auto Scaling: the instance refresh ---------------------------------------------------
    asg_run("07:33:41", WORKER_NEW[0], "a", "10.40.1.88")
    asg_terminate("07:38:55", WORKER_OLD[0])
    asg_run("07:40:12", WORKER_NEW[1], "b", "10.40.2.140")
    asg_terminate("07:45:30", WORKER_OLD[1])
    for h in polls:
        if "07:29" < h < "09:00":
            grafana_poll(h, noise[h])
    trail_generate_data_key("08:05:10")
    ct("08:30:19", "ec2.amazonaws.com", "DescribeSecurityGroups", ID_CONFIG, "config.amazonaws.com",
       "config.amazonaws.com", {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}}, None,
       read_only=True)
    trail_acl_check("08:45:03")

    # --- 09:02 alice, console (IAM Identity Center) ---------------------------------------------------
    alice = dict(who=ID_ALICE, ua=CONSOLE_UA, ip=IP["alice"], console=True)
    ct("09:02:11", "signin.amazonaws.com", "ConsoleLogin", ID_ALICE, CONSOLE_UA, IP["alice"], None,
       {"ConsoleLogin": "Success"}, extra={"MobileVersion": "No", "MFAUsed": "No"},
       event_type="AwsConsoleSignIn", host="%s.signin.aws.amazon.com" % REGION, no_request_id=True)
    ct("09:03:40", "ec2.amazonaws.com", "DescribeInstances", req={"instancesSet": {}, "filterSet": {},
                                                                  "maxResults": 50}, read_only=True, **alice)
    ct("09:05:12", "ec2.amazonaws.com", "DescribeSecurityGroups", req={"securityGroupIdSet": {
        "items": [{"groupId": SG_WEB}]}}, read_only=True, **alice)
    for h in polls:
        if "09:00" < h < "09:10":
            grafana_poll(h, noise[h])
    ct("09:08:27", "ec2.amazonaws.com", "DescribeSecurityGroupRules", req={"DescribeSecurityGroupRulesRequest": {
        "Filter": {"Name": "group-id", "Value": {"content": SG_WEB, "tag": 1}, "tag": 1}, "MaxResults": 1000}},
        read_only=True, **alice)
    ct("09:14:03", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", req={
        "groupId": SG_WEB, "ipPermissions": {"items": [perm("tcp", 22, 22, cidrs=["0.0.0.0/0"],
                                                             desc="temp: debug 502s (alice)")]}},
        resp=ec2_resp(_return=True, securityGroupRuleSet={"items": [{
            "groupOwnerId": ACCT, "groupId": SG_WEB, "securityGroupRuleId": "sgr-0f3a9c2b7d1e4a685",
            "description": "temp: debug 502s (alice)", "isEgress": False, "ipProtocol": "tcp", "fromPort": 22,
            "toPort": 22, "cidrIpv4": "0.0.0.0/0"}]}), **alice)
    ct("09:16:40", "ec2.amazonaws.com", "StopInstances", req={"instancesSet": instances_set([WEB[1]]), "force": False},
       resp=state_change([WEB[1]], "stopping", "running"), **alice)
    ct("09:17:02", "ec2.amazonaws.com", "DescribeInstanceAttribute", req={"instanceId": WEB[1],
                                                                          "attribute": "instanceType"},
       read_only=True, **alice)
    ct("09:18:05", "ec2.amazonaws.com", "ModifyInstanceAttribute", req={
        "instanceId": WEB[1], "instanceType": {"value": "t3.large"}}, resp=ec2_resp(_return=True), **alice)
    ct("09:18:31", "ec2.amazonaws.com", "StartInstances", req={"instancesSet": instances_set([WEB[1]])},
       resp=state_change([WEB[1]], "pending", "stopped"), **alice)
    for h in polls:
        if "09:18" < h < "09:25":
            grafana_poll(h, noise[h])
    ct("09:22:47", "ec2.amazonaws.com", "ModifyInstanceAttribute", req={
        "instanceId": WEB[0], "disableApiTermination": {"value": False}}, resp=ec2_resp(_return=True), **alice)
    ct("09:25:10", "s3.amazonaws.com", "GetBucketVersioning", req={
        "bucketName": LOGS, "Host": s3_host(LOGS), "versioning": ""}, read_only=True, resources=s3_res(LOGS), s3=True,
        tls=TLS12, host=s3_host(LOGS), **alice)
    ct("09:25:38", "s3.amazonaws.com", "PutBucketVersioning", req={
        "bucketName": LOGS, "Host": s3_host(LOGS), "versioning": "",
        "VersioningConfiguration": {"Status": "Enabled", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}},
        resources=s3_res(LOGS), s3=True, tls=TLS12, host=s3_host(LOGS), extra={"bytesTransferredIn": 127}, **alice)
    ct("09:27:02", "s3.amazonaws.com", "GetBucketPolicy", req={
        "bucketName": LOGS, "Host": s3_host(LOGS), "policy": ""}, read_only=True, resources=s3_res(LOGS), s3=True,
        tls=TLS12, host=s3_host(LOGS), extra={"bytesTransferredOut": 1347}, **alice)
    ct("09:27:49", "s3.amazonaws.com", "PutBucketPolicy", req={
        "bucketPolicy": reorder_keys(logs_bucket_policy()), "bucketName": LOGS, "Host": s3_host(LOGS), "policy": ""},
        resources=s3_res(LOGS), s3=True, tls=TLS12, host=s3_host(LOGS), extra={"bytesTransferredIn": 1347}, **alice)

    # --- 09:38 bob's CLI hotfix -----------------------------------------------------------------------
    bob = dict(who=ID_BOB, ip=IP["bob"])
    ct("09:38:21", "lambda.amazonaws.com", "GetFunctionConfiguration20150331v2",
       ua=CLI_UA % "lambda.get-function-configuration", req={"functionName": "prod-api"}, read_only=True, **bob)
    ct("09:39:02", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2",
       ua=CLI_UA % "lambda.update-function-configuration", req={"functionName": "prod-api", "timeout": 30},
       resp=lambda_config(30, 256, "2024-05-27T09:39:02.551+0000"), **bob)
    ct("09:41:47", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2",
       ua=CLI_UA % "lambda.update-function-configuration", req={"functionName": "prod-api", "memorySize": 1024},
       resp=lambda_config(30, 1024, "2024-05-27T09:41:47.302+0000"), **bob)
    ct("09:48:10", "rds.amazonaws.com", "DescribeDBInstances", ua=CLI_UA % "rds.describe-db-instances",
       req={"dBInstanceIdentifier": "prod-db"}, read_only=True, **bob)
    ct("09:52:33", "rds.amazonaws.com", "ModifyDBInstance", ua=CLI_UA % "rds.modify-db-instance", req={
        "dBInstanceIdentifier": "prod-db", "publiclyAccessible": True, "applyImmediately": True,
        "masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS"}, resp=db_modified(), **bob)
    ct("09:56:04", "iam.amazonaws.com", "AttachRolePolicy", ua=CLI_UA % "iam.attach-role-policy", req={
        "roleName": "prod-app", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
       error=("AccessDenied", "User: arn:aws:iam::%s:user/bob is not authorized to perform: iam:AttachRolePolicy on "
                              "resource: role prod-app because no identity-based policy allows the "
                              "iam:AttachRolePolicy action" % ACCT),
       region="us-east-1", tls=TLS12, **bob)

    # --- 10:00 Auto Scaling scale-out (scheduled action) ----------------------------------------------
    asg_run("10:00:04", WORKER_SCALE, "c", "10.40.3.201")

    # --- 10:05 the Boto3 script -------------------------------------------------------------------------
    etl = dict(who=ID_ETL, ip=IP["etl"])
    for h in polls:
        if "09:25" < h < "10:10":
            grafana_poll(h, noise[h])
    ct("10:05:17", "s3.amazonaws.com", "CreateBucket", ua="[%s]" % BOTO_UA, req={
        "CreateBucketConfiguration": {"LocationConstraint": REGION,
                                      "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"},
        "bucketName": EXPORT_BUCKET, "Host": s3_host(EXPORT_BUCKET)},
        resources=s3_res(EXPORT_BUCKET), s3=True, tls=TLS12, host=s3_host(EXPORT_BUCKET),
        extra={"bytesTransferredIn": 153}, **etl)
    ct("10:05:18", "s3.amazonaws.com", "PutBucketTagging", ua="[%s]" % BOTO_UA, req={
        "bucketName": EXPORT_BUCKET, "Host": s3_host(EXPORT_BUCKET), "tagging": "",
        "Tagging": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "TagSet": {"Tag": [
            {"Key": "owner", "Value": "data-team"}, {"Key": "purpose", "Value": "quarterly-export"}]}}},
        resources=s3_res(EXPORT_BUCKET), s3=True, tls=TLS12, host=s3_host(EXPORT_BUCKET),
        extra={"bytesTransferredIn": 214}, **etl)
    ct("10:05:19", "s3.amazonaws.com", "PutBucketPublicAccessBlock", ua="[%s]" % BOTO_UA, req={
        "bucketName": EXPORT_BUCKET, "Host": s3_host(EXPORT_BUCKET), "publicAccessBlock": "",
        "PublicAccessBlockConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                                           "RestrictPublicBuckets": True, "BlockPublicPolicy": True,
                                           "BlockPublicAcls": True, "IgnorePublicAcls": True}},
        resources=s3_res(EXPORT_BUCKET), s3=True, tls=TLS12, host=s3_host(EXPORT_BUCKET),
        extra={"bytesTransferredIn": 257}, **etl)
    ct("10:07:12", "iam.amazonaws.com", "CreateUser", ua=BOTO_UA, req={
        "userName": "reporting-bot", "tags": [{"key": "owner", "value": "data-team"}]},
       resp={"user": {"path": "/", "userName": "reporting-bot", "userId": "AIDARZ5YQ3NPR3PBOT6VA",
                      "arn": "arn:aws:iam::%s:user/reporting-bot" % ACCT, "createDate": "May 27, 2024 10:07:12 AM",
                      "tags": [{"key": "owner", "value": "data-team"}]}},
       region="us-east-1", tls=TLS12, version="1.09", **etl)
    ct("10:07:14", "iam.amazonaws.com", "CreateAccessKey", ua=BOTO_UA, req={"userName": "reporting-bot"},
       resp={"accessKey": {"accessKeyId": BOT_KEY, "status": "Active", "userName": "reporting-bot",
                           "createDate": "May 27, 2024 10:07:14 AM"}},
       region="us-east-1", tls=TLS12, version="1.09", **etl)
    ct("10:07:15", "iam.amazonaws.com", "AttachUserPolicy", ua=BOTO_UA, req={
        "userName": "reporting-bot", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
       error=("AccessDenied", "User: arn:aws:iam::%s:user/etl-runner is not authorized to perform: "
                              "iam:AttachUserPolicy on resource: user reporting-bot because no identity-based "
                              "policy allows the iam:AttachUserPolicy action" % ACCT),
       region="us-east-1", tls=TLS12, version="1.09", **etl)

    # --- 10:20 .. 11:00 -----------------------------------------------------------------------------------
    for h in polls:
        if "10:10" < h < "10:30":
            grafana_poll(h, noise[h])
    trail_acl_check("10:20:51")
    ct("10:31:06", "s3.amazonaws.com", "GetBucketPublicAccessBlock", ua="[%s]" % (CLI_UA % "s3api.get-public-access-block"),
       req={"bucketName": LOGS, "Host": s3_host(LOGS), "publicAccessBlock": ""}, read_only=True,
       resources=s3_res(LOGS), s3=True, tls=TLS12, host=s3_host(LOGS), extra={"bytesTransferredOut": 344}, **bob)
    ct("10:31:40", "s3.amazonaws.com", "DeleteBucketPublicAccessBlock",
       ua="[%s]" % (CLI_UA % "s3api.delete-public-access-block"),
       req={"bucketName": LOGS, "Host": s3_host(LOGS), "publicAccessBlock": ""},
       resources=s3_res(LOGS), s3=True, tls=TLS12, host=s3_host(LOGS), **bob)
    for h in polls:
        if "10:30" < h < "10:40":
            grafana_poll(h, noise[h])
    asg_terminate("10:40:22", WORKER_SCALE)
    ct("10:47:10", "kms.amazonaws.com", "DescribeKey", req={"keyId": KMS_ID}, read_only=True, resources=kms_res(),
       **alice)
    ct("10:48:03", "kms.amazonaws.com", "DisableKey", req={"keyId": KMS_ID}, resources=kms_res(), **alice)
    for h in polls:
        if "10:45" < h:
            grafana_poll(h, noise[h])
    trail_generate_data_key("10:55:41")

    RECORDS.sort(key=lambda r: r["eventTime"])
    return {"Records": RECORDS}


def lambda_config(timeout, memory, modified):
    return {"functionName": "prod-api", "functionArn": LAMBDA_ARN, "runtime": "python3.12",
            "role": "arn:aws:iam::%s:role/prod-api-lambda" % ACCT, "handler": "app.handler", "codeSize": 1843211,
            "description": "Public API (prod)", "timeout": timeout, "memorySize": memory, "lastModified": modified,
            "codeSha256": "q0m5Zq8VhTzv1c3jX2yR8nP4wK7sL6dF9gH0aJ1bC2e=", "version": "$LATEST",
            "vpcConfig": {"subnetIds": sorted(SUB_PRIV.values()), "securityGroupIds": [SG_WEB], "vpcId": VPC,
                          "ipv6AllowedForDualStack": False},
            "tracingConfig": {"mode": "Active"}, "revisionId": uuid4(), "state": "Active",
            "lastUpdateStatus": "InProgress", "lastUpdateStatusReason": "The function is being created.",
            "lastUpdateStatusReasonCode": "Creating", "packageType": "Zip", "architectures": ["arm64"],
            "ephemeralStorage": {"size": 512}, "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
            "runtimeVersionConfig": {"runtimeVersionArn": "arn:aws:lambda:eu-west-1::runtime:6b8c5e1d0a94f3b27c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"},
            "loggingConfig": {"logFormat": "Text", "logGroup": "/aws/lambda/prod-api"}}


def db_modified():
    return {"dBInstanceIdentifier": "prod-db", "dBInstanceClass": "db.r6g.large", "engine": "postgres",
            "dBInstanceStatus": "available", "masterUsername": "app_admin", "dBName": "app",
            "endpoint": {"address": DB_HOST, "port": 5432, "hostedZoneId": "Z29XKXDKYMONMX"},
            "allocatedStorage": 100, "instanceCreateTime": "Nov 2, 2023, 2:34:51 PM",
            "preferredBackupWindow": "02:00-02:30", "backupRetentionPeriod": 7, "dBSecurityGroups": [],
            "vpcSecurityGroups": [{"vpcSecurityGroupId": SG_DB, "status": "active"}],
            "dBParameterGroups": [{"dBParameterGroupName": "default.postgres15", "parameterApplyStatus": "in-sync"}],
            "availabilityZone": "eu-west-1a",
            "dBSubnetGroup": {"dBSubnetGroupName": "prod-db", "dBSubnetGroupDescription": "Managed by Terraform",
                              "vpcId": VPC, "subnetGroupStatus": "Complete",
                              "subnets": [{"subnetIdentifier": SUB_PRIV[k], "subnetAvailabilityZone": {"name": AZS[k]},
                                           "subnetOutpost": {}, "subnetStatus": "Active"} for k in "abc"]},
            "preferredMaintenanceWindow": "sun:03:00-sun:04:00",
            "pendingModifiedValues": {"masterUserPassword": "****"},
            "latestRestorableTime": "May 27, 2024, 9:50:12 AM", "multiAZ": True, "engineVersion": "15.5",
            "autoMinorVersionUpgrade": True, "readReplicaDBInstanceIdentifiers": [],
            "licenseModel": "postgresql-license", "iops": 3000, "storageThroughput": 125,
            "optionGroupMemberships": [{"optionGroupName": "default:postgres-15", "status": "in-sync"}],
            "secondaryAvailabilityZone": "eu-west-1b", "publiclyAccessible": True, "storageType": "gp3",
            "dbInstancePort": 0, "storageEncrypted": True, "kmsKeyId": KMS_ARN, "dbiResourceId": DB_RID,
            "cACertificateIdentifier": "rds-ca-rsa2048-g1", "domainMemberships": [], "copyTagsToSnapshot": True,
            "monitoringInterval": 60, "monitoringRoleArn": "arn:aws:iam::%s:role/rds-monitoring-role" % ACCT,
            "dBInstanceArn": "arn:aws:rds:%s:%s:db:prod-db" % (REGION, ACCT),
            "iAMDatabaseAuthenticationEnabled": True, "performanceInsightsEnabled": True,
            "performanceInsightsKMSKeyId": KMS_ARN, "performanceInsightsRetentionPeriod": 7,
            "enabledCloudwatchLogsExports": ["postgresql", "upgrade"], "deletionProtection": True,
            "associatedRoles": [], "maxAllocatedStorage": 500, "customerOwnedIpEnabled": False,
            "networkType": "IPV4", "backupTarget": "region", "certificateDetails": {
                "cAIdentifier": "rds-ca-rsa2048-g1", "validTill": "May 27, 2025, 7:12:44 AM"},
            "dedicatedLogVolume": False, "isStorageConfigUpgradeAvailable": False, "engineLifecycleSupport": "open-source-rds-extended-support"}


# ---- Cloud Audit Logs -----------------------------------------------------------------------------

TF_GCP_UA = ("Terraform/1.5.7 (+https://www.terraform.io) Terraform-Plugin-SDK/2.31.0 "
             "terraform-provider-google/5.30.0,gzip(gfe)")
GCLOUD_UA = ("google-cloud-sdk gcloud/475.0.0 command/gcloud.compute.%s invocation-id/%s environment/None "
             "environment-version/None client-os/MACOSX client-os-ver/23.4.0 client-pltf-arch/arm interactive/True "
             "from-script/False python/3.11.8 term/xterm-256color (Macintosh; Intel Mac OS X 23.4.0),gzip(gfe)")
GO_UA = "google-api-go-client/0.5 rollout/2.3.1,gzip(gfe)"
BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/125.0.0.0 Safari/537.36,gzip(gfe)")
TF_SA = "terraform@%s.iam.gserviceaccount.com" % PROJECT
WIF_SUBJECT = ("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/github/subject/"
               "repo:corp/infra:environment:prod" % PROJECT_NUMBER)
DEPLOYER = "deployer@%s.iam.gserviceaccount.com" % PROJECT
GIP = {"tf": "4.231.92.17", "carol": "198.51.100.42", "deployer": "34.76.150.21", "dave": "192.0.2.55"}

ENTRIES = []


def gts(hms, frac):
    return "%sT%s.%sZ" % (DAY, hms, frac)


def recv(hms, frac):
    """receiveTimestamp: a few hundred milliseconds after the entry, in nanoseconds."""
    d = datetime.strptime("%s %s.%s" % (DAY, hms, frac[:6]), "%Y-%m-%d %H:%M:%S.%f")
    d += timedelta(microseconds=RNG.randrange(180000, 900000))
    return d.strftime("%Y-%m-%dT%H:%M:%S.%f") + rid(3, string.digits) + "Z"


def insert_id(dash=True):
    s = rid(12, string.ascii_lowercase + string.digits)
    return ("-" + s) if dash else s


def pacific(hms, frac, later_ms=0):
    """Compute Engine operations carry their times in US Pacific time (PDT in May)."""
    d = datetime.strptime("%s %s.%s" % (DAY, hms, frac[:3]), "%Y-%m-%d %H:%M:%S.%f") - timedelta(hours=7)
    d += timedelta(milliseconds=later_ms)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d-07:00" % (d.microsecond // 1000)


def op_name(hms):
    return "operation-%d-%s-%s-%s" % (epoch_ms(hms) + RNG.randrange(1000), rid(13), rid(8), rid(8))


def auth(who):
    if who == "tf":
        return {"principalEmail": TF_SA, "serviceAccountDelegationInfo": [{"principalSubject": WIF_SUBJECT}],
                "principalSubject": "serviceAccount:" + TF_SA}
    if who == "deployer":
        return {"principalEmail": DEPLOYER, "principalSubject": "serviceAccount:" + DEPLOYER,
                "serviceAccountKeyName": "//iam.googleapis.com/projects/%s/serviceAccounts/%s/keys/"
                                         "7c1e5a9b3d2f4068a1b2c3d4e5f60718293a4b5c" % (PROJECT, DEPLOYER)}
    return {"principalEmail": who, "principalSubject": "user:" + who}


def meta(ip, ua, t):
    return {"callerIp": ip, "callerSuppliedUserAgent": ua,
            "requestAttributes": {"time": t, "auth": {}}, "destinationAttributes": {}}


def gce_resource(kind, name):
    if kind == "instance":
        n = int(name.split("-")[1])
        return {"type": "gce_instance", "labels": {"instance_id": str(7312684015529440000 + 1117 * n + 83),
                                                   "project_id": PROJECT, "zone": GZONE}}
    return {"type": "gce_firewall_rule", "labels": {"firewall_rule_id": name, "project_id": PROJECT}}


def compute_op(hms, frac_first, hms_last, frac_last, who, ip, ua, method, path, kind, target_id, request,
               perms, op_type):
    """A long-running Compute Engine call: the 'first' entry (request, response = the operation)
    and the 'last' entry when the operation is done."""
    name = op_name(hms)
    coll = path.split("/")[-2]
    t0 = gts(hms, frac_first)
    link = "https://www.googleapis.com/compute/v1/" + path
    zone = GZONE if "/zones/" in path else None
    resp = {"@type": "type.googleapis.com/operation", "id": str(RNG.randrange(10 ** 18, 10 ** 19)),
            "insertTime": pacific(hms, frac_first), "name": name,
            "operationType": op_type, "progress": "0",
            "selfLink": "https://www.googleapis.com/compute/v1/projects/%s/%s/operations/%s"
                        % (PROJECT, "zones/" + zone if zone else "global", name),
            "selfLinkWithId": "https://www.googleapis.com/compute/v1/projects/%s/%s/operations/%s"
                              % (PROJECT, "zones/" + zone if zone else "global", RNG.randrange(10 ** 18, 10 ** 19)),
            "startTime": pacific(hms, frac_first, 19), "status": "RUNNING",
            "targetId": target_id, "targetLink": link,
            "user": auth(who)["principalEmail"] if who in ("tf", "deployer") else who}
    if zone:
        resp["zone"] = "https://www.googleapis.com/compute/v1/projects/%s/zones/%s" % (PROJECT, zone)
    res = gce_resource(kind, path.split("/")[-1] if kind == "instance" else target_id)
    first = {"protoPayload": {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": auth(who),
        "requestMetadata": meta(ip, ua, t0),
        "serviceName": "compute.googleapis.com", "methodName": method,
        "authorizationInfo": [{"permission": p, "granted": True,
                               "resourceAttributes": {"service": "compute", "name": r, "type": "compute.%s" % r.split("/")[-2]},
                               "permissionType": "ADMIN_WRITE"} for p, r in perms],
        "resourceName": path, "request": dict({"@type": "type.googleapis.com/compute.%s.%s" % (coll, method.split(".")[-1])},
                                              **request),
        "response": resp, "resourceLocation": {"currentLocations": [zone or "global"]}},
        "insertId": insert_id(), "resource": res, "timestamp": t0, "severity": "NOTICE",
        "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Factivity" % PROJECT,
        "operation": {"id": name, "producer": "compute.googleapis.com", "first": True},
        "receiveTimestamp": recv(hms, frac_first)}
    t1 = gts(hms_last, frac_last)
    last = {"protoPayload": {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": auth(who)["principalEmail"]},
        "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": ua},
        "serviceName": "compute.googleapis.com", "methodName": method, "resourceName": path,
        "request": {"@type": "type.googleapis.com/compute.%s.%s" % (coll, method.split(".")[-1])}},
        "insertId": insert_id(), "resource": res, "timestamp": t1, "severity": "NOTICE",
        "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Factivity" % PROJECT,
        "operation": {"id": name, "producer": "compute.googleapis.com", "last": True},
        "receiveTimestamp": recv(hms_last, frac_last)}
    ENTRIES.extend([first, last])


def system_event(hms, frac, method, inst, message):
    t = gts(hms, frac)
    path = "projects/%s/zones/%s/instances/%s" % (PROJECT, GZONE, inst)
    ENTRIES.append({
        "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                         "status": {"message": message},
                         "authenticationInfo": {"principalEmail": "system@google.com"},
                         "serviceName": "compute.googleapis.com", "methodName": method, "resourceName": path,
                         "request": {"@type": "type.googleapis.com/" + method}},
        "insertId": insert_id(), "resource": gce_resource("instance", inst), "timestamp": t, "severity": "INFO",
        "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Fsystem_event" % PROJECT,
        "operation": {"id": "systemevent-%d-%s-%s-%s" % (epoch_ms(hms), rid(13), rid(8), rid(8)),
                      "producer": method, "first": True, "last": True},
        "receiveTimestamp": recv(hms, frac)})


def fw(name):
    return "projects/%s/global/firewalls/%s" % (PROJECT, name)


def inst(name):
    return "projects/%s/zones/%s/instances/%s" % (PROJECT, GZONE, name)


FW_IDS = {"allow-ssh": "6038215749301628734", "allow-https": "1582730946128840055",
          "allow-debug-8080": "8846201937465011297"}


def gcp_audit():
    # --- 07:36 Terraform ----------------------------------------------------------------------------------
    compute_op("07:36:02", "418273", "07:36:13", "903551", "tf", GIP["tf"], TF_GCP_UA, "v1.compute.firewalls.patch",
               fw("allow-https"), "firewall", FW_IDS["allow-https"],
               {"name": "allow-https", "description": "HTTPS from the internet to the web tier",
                "sourceRanges": ["0.0.0.0/0"], "targetTags": ["web"],
                "alloweds": [{"IPProtocol": "tcp", "ports": ["443"]}]},
               [("compute.firewalls.update", fw("allow-https")),
                ("compute.networks.updatePolicy", "projects/%s/global/networks/corp-prod-vpc" % PROJECT)], "patch")
    for i, (t0, f0, t1, f1) in enumerate((("07:36:15", "120944", "07:36:17", "611208"),
                                          ("07:36:15", "377561", "07:36:18", "045337"),
                                          ("07:36:15", "652019", "07:36:17", "998702"))):
        name = "app-%d" % i
        compute_op(t0, f0, t1, f1, "tf", GIP["tf"], TF_GCP_UA, "v1.compute.instances.setLabels", inst(name),
                   "instance", str(7312684015529440000 + 1117 * i + 83),
                   {"labelFingerprint": "42WmSpB8rSM=", "labels": [{"key": "env", "value": "prod"},
                                                                    {"key": "release", "value": "2024-05-27"},
                                                                    {"key": "role", "value": "app"}]},
                   [("compute.instances.setLabels", inst(name))], "setLabels")
    t = gts("07:36:40", "203118457")
    ENTRIES.append({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {},
            "authenticationInfo": auth("tf"), "requestMetadata": meta(GIP["tf"], TF_GCP_UA, t),
            "serviceName": "cloudresourcemanager.googleapis.com", "methodName": "SetIamPolicy",
            "authorizationInfo": [{"resource": "projects/" + PROJECT, "permission": "resourcemanager.projects.setIamPolicy",
                                   "granted": True, "resourceAttributes": {
                                       "service": "cloudresourcemanager.googleapis.com",
                                       "name": "projects/" + PROJECT, "type": "cloudresourcemanager.googleapis.com/Project"},
                                   "permissionType": "ADMIN_WRITE"}],
            "resourceName": "projects/" + PROJECT,
            "serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                            "policyDelta": {"bindingDeltas": [{"action": "ADD", "role": "roles/monitoring.metricWriter",
                                                               "member": "serviceAccount:app-runtime@%s.iam.gserviceaccount.com" % PROJECT}]}},
            "request": {"@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest", "resource": PROJECT,
                        "policy": {"etag": "BwYZk1vQx0c=", "bindings": [
                            {"role": "roles/compute.instanceAdmin.v1", "members": ["serviceAccount:" + DEPLOYER]},
                            {"role": "roles/logging.logWriter",
                             "members": ["serviceAccount:app-runtime@%s.iam.gserviceaccount.com" % PROJECT]},
                            {"role": "roles/monitoring.metricWriter",
                             "members": ["serviceAccount:app-runtime@%s.iam.gserviceaccount.com" % PROJECT]},
                            {"role": "roles/owner", "members": ["group:platform-admins@corp.example"]}]}},
            "response": {"@type": "type.googleapis.com/google.iam.v1.Policy", "etag": "BwYZk2c8Pq4=", "bindings": [
                {"role": "roles/compute.instanceAdmin.v1", "members": ["serviceAccount:" + DEPLOYER]},
                {"role": "roles/logging.logWriter",
                 "members": ["serviceAccount:app-runtime@%s.iam.gserviceaccount.com" % PROJECT]},
                {"role": "roles/monitoring.metricWriter",
                 "members": ["serviceAccount:app-runtime@%s.iam.gserviceaccount.com" % PROJECT]},
                {"role": "roles/owner", "members": ["group:platform-admins@corp.example"]}]}},
        "insertId": insert_id(False), "resource": {"type": "project", "labels": {"project_id": PROJECT}},
        "timestamp": t, "severity": "NOTICE",
        "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Factivity" % PROJECT,
        "receiveTimestamp": gts("07:36:41", "092284713")})
    t = gts("07:36:44", "771902")
    ENTRIES.append({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {},
            "authenticationInfo": auth("tf"), "requestMetadata": meta(GIP["tf"], TF_GCP_UA, t),
            "serviceName": "storage.googleapis.com", "methodName": "storage.buckets.update",
            "authorizationInfo": [{"resource": "projects/_/buckets/corp-prod-4411-assets",
                                   "permission": "storage.buckets.update", "granted": True,
                                   "resourceAttributes": {}, "permissionType": "ADMIN_WRITE"}],
            "resourceName": "projects/_/buckets/corp-prod-4411-assets",
            "serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData", "policyDelta": {}},
            "resourceLocation": {"currentLocations": ["europe-west1"]}},
        "insertId": insert_id(False), "resource": {"type": "gcs_bucket", "labels": {
            "bucket_name": "corp-prod-4411-assets", "project_id": PROJECT, "location": "europe-west1"}},
        "timestamp": t, "severity": "NOTICE",
        "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Factivity" % PROJECT,
        "receiveTimestamp": gts("07:36:45", "306117205")})

    # --- 08:12 live migration (system event) -----------------------------------------------------------
    system_event("08:12:37", "552816", "compute.instances.migrateOnHostMaintenance", "app-2",
                 "Instance migrated during Compute Engine maintenance.")

    # --- 09:20 carol, gcloud ----------------------------------------------------------------------------
    compute_op("09:20:14", "739215", "09:20:26", "118340", "carol@corp.example", GIP["carol"],
               GCLOUD_UA % ("firewall-rules.update", "3f2a9c1e7b5d4e08a6c4b2d0e8f6a4c2"), "v1.compute.firewalls.patch",
               fw("allow-ssh"), "firewall", FW_IDS["allow-ssh"], {"name": "allow-ssh", "sourceRanges": ["0.0.0.0/0"]},
               [("compute.firewalls.update", fw("allow-ssh")),
                ("compute.networks.updatePolicy", "projects/%s/global/networks/corp-prod-vpc" % PROJECT)], "patch")
    compute_op("09:24:51", "004726", "09:25:03", "660912", "carol@corp.example", GIP["carol"],
               GCLOUD_UA % ("firewall-rules.create", "9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f2a"), "v1.compute.firewalls.insert",
               fw("allow-debug-8080"), "firewall", FW_IDS["allow-debug-8080"],
               {"name": "allow-debug-8080", "network": "projects/%s/global/networks/corp-prod-vpc" % PROJECT,
                "direction": "INGRESS", "priority": "1000", "sourceRanges": ["0.0.0.0/0"], "targetTags": ["web"],
                "alloweds": [{"IPProtocol": "tcp", "ports": ["8080"]}], "description": "", "disabled": False,
                "logConfig": {"enable": False}},
               [("compute.firewalls.create", fw("allow-debug-8080")),
                ("compute.networks.updatePolicy", "projects/%s/global/networks/corp-prod-vpc" % PROJECT)], "insert")
    t = gts("09:26:30", "481199")
    ENTRIES.append({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": {"code": 7, "message": "Required 'compute.instances.setMetadata' permission for '%s'" % inst("app-0"),
                       "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED",
                                    "domain": "compute.googleapis.com",
                                    "metadata": {"permission": "compute.instances.setMetadata"}}]},
            "authenticationInfo": auth("carol@corp.example"),
            "requestMetadata": meta(GIP["carol"], GCLOUD_UA % ("instances.add-metadata", "0c4e8a2f6b1d3e5a7c9f0b2d4e6a8c1f"), t),
            "serviceName": "compute.googleapis.com", "methodName": "v1.compute.instances.setMetadata",
            "authorizationInfo": [{"permission": "compute.instances.setMetadata", "granted": False,
                                   "resourceAttributes": {"service": "compute", "name": inst("app-0"),
                                                          "type": "compute.instances"},
                                   "permissionType": "ADMIN_WRITE"}],
            "resourceName": inst("app-0"),
            "request": {"@type": "type.googleapis.com/compute.instances.setMetadata",
                        "fingerprint": "p8V2xS0c1QY=", "items": [{"key": "enable-oslogin", "value": "FALSE"}]},
            "response": {"@type": "type.googleapis.com/error", "error": {"code": 403, "message":
                         "Required 'compute.instances.setMetadata' permission for '%s'" % inst("app-0"),
                         "errors": [{"domain": "global", "reason": "forbidden", "message":
                                     "Required 'compute.instances.setMetadata' permission for '%s'" % inst("app-0")}]}},
            "resourceLocation": {"currentLocations": [GZONE]}},
        "insertId": insert_id(), "resource": gce_resource("instance", "app-0"), "timestamp": t, "severity": "ERROR",
        "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Factivity" % PROJECT,
        "receiveTimestamp": gts("09:26:31", "023846610")})

    # --- 09:48 deployer service account: machine type -------------------------------------------------
    app1 = str(7312684015529440000 + 1117 + 83)
    compute_op("09:48:05", "310447", "09:48:39", "882190", "deployer", GIP["deployer"], GO_UA,
               "v1.compute.instances.stop", inst("app-1"), "instance", app1, {},
               [("compute.instances.stop", inst("app-1"))], "stop")
    compute_op("09:48:44", "095613", "09:48:45", "731924", "deployer", GIP["deployer"], GO_UA,
               "v1.compute.instances.setMachineType", inst("app-1"), "instance", app1,
               {"machineType": "https://www.googleapis.com/compute/v1/projects/%s/zones/%s/machineTypes/e2-standard-8"
                               % (PROJECT, GZONE)},
               [("compute.instances.setMachineType", inst("app-1"))], "setMachineType")
    compute_op("09:48:49", "564378", "09:49:02", "217765", "deployer", GIP["deployer"], GO_UA,
               "v1.compute.instances.start", inst("app-1"), "instance", app1, {},
               [("compute.instances.start", inst("app-1"))], "start")

    # --- 10:15 dave, console -----------------------------------------------------------------------------
    t = gts("10:15:26", "918034")
    ENTRIES.append({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {},
            "authenticationInfo": auth("dave@corp.example"), "requestMetadata": meta(GIP["dave"], BROWSER_UA, t),
            "serviceName": "storage.googleapis.com", "methodName": "storage.buckets.delete",
            "authorizationInfo": [{"resource": "projects/_/buckets/corp-prod-4411-reports",
                                   "permission": "storage.buckets.delete", "granted": True, "resourceAttributes": {},
                                   "permissionType": "ADMIN_WRITE"}],
            "resourceName": "projects/_/buckets/corp-prod-4411-reports",
            "resourceLocation": {"currentLocations": ["europe-west1"]}},
        "insertId": insert_id(False), "resource": {"type": "gcs_bucket", "labels": {
            "bucket_name": "corp-prod-4411-reports", "project_id": PROJECT, "location": "europe-west1"}},
        "timestamp": t, "severity": "NOTICE",
        "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Factivity" % PROJECT,
        "receiveTimestamp": gts("10:15:27", "540066278")})
    compute_op("10:17:08", "662450", "10:17:19", "305871", "dave@corp.example", GIP["dave"], BROWSER_UA,
               "beta.compute.firewalls.patch", fw("allow-https"), "firewall", FW_IDS["allow-https"],
               {"name": "allow-https", "sourceRanges": ["0.0.0.0/0"],
                "alloweds": [{"IPProtocol": "tcp", "ports": ["443"]}], "targetTags": ["web"]},
               [("compute.firewalls.update", fw("allow-https")),
                ("compute.networks.updatePolicy", "projects/%s/global/networks/corp-prod-vpc" % PROJECT)], "patch")

    # --- 10:40 host error and automatic restart (system events) ----------------------------------------
    system_event("10:40:02", "117394", "compute.instances.hostError", "app-0",
                 "Instance terminated by Compute Engine.")
    system_event("10:40:49", "830625", "compute.instances.automaticRestart", "app-0",
                 "Instance automatically restarted by Compute Engine.")

    ENTRIES.sort(key=lambda e: e["timestamp"])
    return {"entries": ENTRIES}


# ---- main -------------------------------------------------------------------------------------------

def write(name, obj):
    path = os.path.join(HERE, name)
    with open(path, "w") as fp:
        json.dump(obj, fp, indent=2, ensure_ascii=False)
        fp.write("\n")
    with open(path, "rb") as fp:
        digest = hashlib.sha256(fp.read()).hexdigest()[:12]
    return path, digest


def main():
    outs = [write("prod.tfstate", aws_state()), write("gcp.tfstate", gcp_state()),
            write("cloudtrail.json", cloudtrail()), write("gcp-audit.json", gcp_audit())]
    for path, digest in outs:
        print("wrote %s (sha256 %s)" % (os.path.relpath(path), digest))


if __name__ == "__main__":
    main()
