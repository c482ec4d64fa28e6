/* test_value: every transform's canonical form (table-driven, event and state side), equality
 * between an event's value and the state's, set/map difference, and canonical text.
 * Shapes are copied from the shared samples; each row cites its file. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"
#include "value.h"

enum side { EV, ST };

struct row {
	enum val_transform t;
	enum side side;
	const char *in;      /* JSON text */
	const char *want;    /* val_to_string of the result; NULL = no value */
	const char *what;
};

static const struct row rows[] = {
	/* ---- string ---- */
	{ VT_STRING, EV, "\"t3.micro\"", "\"t3.micro\"", "string" },
	/* panther_aws_cloudtrail_rule_tests.jsonl: ModifyInstanceAttribute instanceType */
	{ VT_STRING, EV, "{\"value\":\"t3.nano\"}", "\"t3.nano\"", "EC2 {value: X} unwrapped" },
	{ VT_STRING, EV, "256", "\"256\"", "int as text" },
	{ VT_STRING, EV, "1.5", "\"1.5\"", "double as text" },
	{ VT_STRING, EV, "0.1", "\"0.1\"", "double shortest text" },
	{ VT_STRING, EV, "true", "\"true\"", "bool as text" },
	{ VT_STRING, EV, "{\"a\":1}", NULL, "object is not a string" },
	{ VT_STRING, EV, "[\"a\"]", NULL, "array is not a string" },
	{ VT_STRING, EV, "{\"value\":\"x\",\"other\":1}", NULL, "value plus other keys: no unwrap" },
	{ VT_STRING, ST, "\"a\\u0000b\"", "\"a\\u0000b\"", "embedded NUL kept" },
	/* ---- bool ---- */
	{ VT_BOOL, EV, "true", "true", "bool" },
	{ VT_BOOL, EV, "\"false\"", "false", "\"false\"" },
	{ VT_BOOL, EV, "\"TRUE\"", "true", "\"TRUE\"" },
	/* invictus 20230710T1215Z: ModifyInstanceAttribute disableApiTermination */
	{ VT_BOOL, EV, "{\"value\":false}", "false", "{value:false}" },
	{ VT_BOOL, EV, "\"yes\"", NULL, "not a bool" },
	/* S3 PutBucketVersioning VersioningConfiguration.Status / MfaDelete */
	{ VT_BOOL, EV, "\"Enabled\"", "true", "S3 Enabled" },
	{ VT_BOOL, EV, "\"Suspended\"", "false", "S3 Suspended" },
	{ VT_BOOL, EV, "\"Disabled\"", "false", "S3 Disabled" },
	{ VT_BOOL, EV, "1", NULL, "number is not a bool" },
	/* ---- int / number ---- */
	{ VT_INT, EV, "256", "256", "int" },
	{ VT_INT, EV, "\"256\"", "256", "numeric string" },
	/* panther_gcp_audit_rule_tests.jsonl: firewalls.insert priority "1000" */
	{ VT_INT, EV, "\"1000\"", "1000", "GCP int64 as string" },
	{ VT_INT, EV, "{\"value\":\" 8 \"}", "8", "wrapped, spaces" },
	{ VT_INT, EV, "2.0", "2", "integral double" },
	{ VT_INT, EV, "2.5", NULL, "fraction is not an int" },
	{ VT_INT, EV, "\"12abc\"", NULL, "junk" },
	{ VT_INT, EV, "\"\"", NULL, "empty string" },
	{ VT_INT, ST, "18446744073709551615", "18446744073709551615", "uint64 range" },
	{ VT_NUMBER, EV, "\"2.50\"", "2.5", "numeric string" },
	{ VT_NUMBER, EV, "3.0", "3", "integral double prints as int" },
	{ VT_NUMBER, EV, "\"1e3\"", "1000", "exponent" },
	{ VT_NUMBER, EV, "\"inf\"", NULL, "infinity is not a number" },
	{ VT_NUMBER, EV, "true", NULL, "bool is not a number" },
	/* ---- json ---- */
	{ VT_JSON, EV, "{\"b\":[2,{\"d\":1,\"c\":null}],\"a\":\"x\"}",
	  "{\"a\":\"x\",\"b\":[2,{\"c\":null,\"d\":1}]}", "keys sorted at every level" },
	{ VT_JSON, ST, "\"{\\\"b\\\":1,\\\"a\\\":[]}\"", "{\"a\":[],\"b\":1}", "JSON text parsed" },
	{ VT_JSON, ST, "\"{not json\"", "\"{not json\"", "bad JSON text stays a string" },
	{ VT_JSON, EV, "\"plain\"", "\"plain\"", "plain string" },
	/* ---- policy ---- */
	/* invictus: PutRolePolicy policyDocument (string) */
	{ VT_POLICY, EV, "\"{\\\"Statement\\\":[{\\\"Action\\\":[\\\"ec2:Describe*\\\"],"
	  "\\\"Effect\\\":\\\"Allow\\\",\\\"Resource\\\":\\\"*\\\"}],\\\"Version\\\":\\\"2012-10-17\\\"}\"",
	  "{\"Statement\":[{\"Action\":[\"ec2:Describe*\"],\"Effect\":\"Allow\",\"Resource\":[\"*\"]}],"
	  "\"Version\":\"2012-10-17\"}", "string policy, Resource string -> list" },
	/* panther: UpdateAssumeRolePolicy policyDocument, indented, Statement list of 2 */
	{ VT_POLICY, EV, "\"{\\n  \\\"Version\\\": \\\"2012-10-17\\\",\\n  \\\"Statement\\\": [\\n"
	  "    {\\\"Effect\\\": \\\"Allow\\\", \\\"Principal\\\": {\\\"Service\\\": \\\"ec2.amazonaws.com\\\"},"
	  " \\\"Action\\\": \\\"sts:AssumeRole\\\"},\\n"
	  "    {\\\"Effect\\\": \\\"Allow\\\", \\\"Principal\\\": {\\\"AWS\\\": \\\"arn:aws:iam::193672423079:root\\\"},"
	  " \\\"Action\\\": \\\"sts:AssumeRole\\\"}\\n  ]\\n}\"",
	  "{\"Statement\":[{\"Action\":[\"sts:AssumeRole\"],\"Effect\":\"Allow\","
	  "\"Principal\":{\"AWS\":[\"arn:aws:iam::193672423079:root\"]}},"
	  "{\"Action\":[\"sts:AssumeRole\"],\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
	  "[\"ec2.amazonaws.com\"]}}],\"Version\":\"2012-10-17\"}",
	  "whitespace gone, principals listed, statements sorted" },
	/* invictus: PutBucketPolicy bucketPolicy (object), single statement object */
	{ VT_POLICY, EV, "{\"Version\":\"2012-10-17\",\"Statement\":{\"Action\":\"s3:GetBucketAcl\","
	  "\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},"
	  "\"Resource\":\"arn:aws:s3:::b\",\"Condition\":{\"StringEquals\":{\"s3:x-amz-acl\":"
	  "\"bucket-owner-full-control\"},\"Bool\":{\"aws:SecureTransport\":false}}}}",
	  "{\"Statement\":[{\"Action\":[\"s3:GetBucketAcl\"],\"Condition\":{\"Bool\":"
	  "{\"aws:SecureTransport\":[\"false\"]},\"StringEquals\":{\"s3:x-amz-acl\":"
	  "[\"bucket-owner-full-control\"]}},\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
	  "[\"cloudtrail.amazonaws.com\"]},\"Resource\":[\"arn:aws:s3:::b\"]}],\"Version\":\"2012-10-17\"}",
	  "object policy, single statement, condition values as string sets" },
	{ VT_POLICY, EV, "\"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22"
	  "%3A%22Deny%22%2C%22NotAction%22%3A%5B%22s3%3A*%22%2C%22iam%3A*%22%5D%2C%22"
	  "NotResource%22%3A%22*%22%7D%7D\"",
	  "{\"Statement\":[{\"Effect\":\"Deny\",\"NotAction\":[\"iam:*\",\"s3:*\"],"
	  "\"NotResource\":[\"*\"]}],\"Version\":\"2012-10-17\"}", "URL-encoded policy" },
	{ VT_POLICY, ST, "\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":\\\"*\\\","
	  "\\\"Action\\\":[\\\"s3:b\\\",\\\"s3:a\\\",\\\"s3:a\\\"]}]}\"",
	  "{\"Statement\":[{\"Action\":[\"s3:a\",\"s3:b\"],\"Effect\":\"Allow\","
	  "\"Principal\":{\"AWS\":[\"*\"]}}]}", "Principal * and duplicate actions" },
	{ VT_POLICY, ST, "\"\"", NULL, "empty policy string is no policy" },
	/* panther: CreateRole with "Condition": {} */
	{ VT_POLICY, EV, "{\"Statement\":[{\"Effect\":\"Allow\",\"Condition\":{},\"Action\":\"a\"}]}",
	  "{\"Statement\":[{\"Action\":[\"a\"],\"Effect\":\"Allow\"}]}", "empty Condition dropped" },
	{ VT_POLICY, ST, "\"not json\"", "\"not json\"", "not JSON: compared as text" },
	/* panther_gcp_audit_rule_tests.jsonl: SetIamPolicy request.policy (trimmed) */
	{ VT_POLICY, EV, "{\"etag\":\"BwX6LgT4YMw=\",\"bindings\":[{\"role\":\"roles/owner\","
	  "\"members\":[\"user:b@x\",\"user:a@x\"]},{\"members\":[\"user:c@x\"],"
	  "\"role\":\"roles/appengine.serviceAdmin\"}]}",
	  "{\"bindings\":[{\"members\":[\"user:a@x\",\"user:b@x\"],\"role\":\"roles/owner\"},"
	  "{\"members\":[\"user:c@x\"],\"role\":\"roles/appengine.serviceAdmin\"}]}",
	  "GCP policy: etag dropped, members sorted, bindings sorted" },
	{ VT_POLICY, ST, "\"{\\\"version\\\":1,\\\"bindings\\\":[{\\\"role\\\":\\\"roles/viewer\\\","
	  "\\\"members\\\":\\\"user:a@x\\\"}]}\"",
	  "{\"bindings\":[{\"members\":[\"user:a@x\"],\"role\":\"roles/viewer\"}]}",
	  "GCP policy_data: version dropped" },
	/* ---- string_set ---- */
	{ VT_STRING_SET, EV, "[\"b\",\"a\",\"b\",null,3]", "[\"3\",\"a\",\"b\"]", "sorted unique" },
	{ VT_STRING_SET, EV, "\"sg-1\"", "[\"sg-1\"]", "single scalar" },
	{ VT_STRING_SET, EV, "{\"items\":[{\"value\":\"x\"},\"y\"]}", "[\"x\",\"y\"]",
	  "EC2 items wrapper, wrapped values" },
	{ VT_STRING_SET, EV, "{}", "[]", "EC2 empty list" },
	{ VT_STRING_SET, ST, "[]", "[]", "empty" },
	/* ---- tags ---- */
	/* invictus: CreateTags requestParameters.tagSet */
	{ VT_TAGS, EV, "{\"tagSet\":{\"items\":[{\"key\":\"Name\",\"value\":\"web\"},"
	  "{\"key\":\"env\",\"value\":\"prod\"}]}}", "{\"Name\":\"web\",\"env\":\"prod\"}", "EC2 tagSet" },
	{ VT_TAGS, EV, "[{\"Key\":\"a\",\"Value\":\"1\"},{\"Key\":\"b\",\"Value\":\"\"}]",
	  "{\"a\":\"1\",\"b\":\"\"}", "[{Key,Value}]" },
	/* invictus: CreateSecurityGroup tagSpecificationSet ... tags [{key,value}] */
	{ VT_TAGS, EV, "[{\"key\":\"StratusRedTeam\",\"value\":\"true\"},{\"key\":\"Name\","
	  "\"value\":\"sg\"}]", "{\"Name\":\"sg\",\"StratusRedTeam\":\"true\"}", "[{key,value}]" },
	{ VT_TAGS, EV, "{\"tagSpecificationSet\":{\"items\":[{\"resourceType\":\"security-group\","
	  "\"tags\":[{\"key\":\"Name\",\"value\":\"sg\"}]}]}}", "{\"Name\":\"sg\"}",
	  "tagSpecificationSet" },
	{ VT_TAGS, EV, "{\"TagSet\":[{\"Key\":\"k\",\"Value\":\"v\"}]}", "{\"k\":\"v\"}", "TagSet" },
	{ VT_TAGS, EV, "{\"Tagging\":{\"TagSet\":{\"Tag\":{\"Key\":\"k\",\"Value\":\"v\"}}}}",
	  "{\"k\":\"v\"}", "S3 PutBucketTagging, one tag" },
	/* DERIVED_invictus_all_records_sorted.json: PutBucketTagging requestParameters.Tagging */
	{ VT_TAGS, EV, "{\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\",\"TagSet\":"
	  "{\"Tag\":{\"Value\":true,\"Key\":\"StratusRedTeam\"}}}", "{\"StratusRedTeam\":\"true\"}",
	  "S3 Tagging with xmlns, lone Tag, bool value" },
	{ VT_TAGS, EV, "{\"Value\":true,\"Key\":\"StratusRedTeam\"}", "{\"StratusRedTeam\":\"true\"}",
	  "a lone {Key,Value} pair" },
	{ VT_TAGS, EV, "{\"b\":\"2\",\"a\":1}", "{\"a\":\"1\",\"b\":\"2\"}", "map, values as text" },
	{ VT_TAGS, EV, "[\"team\",\"env\"]", "{\"env\":\"\",\"team\":\"\"}",
	  "Route 53 removeTagKeys: keys alone, any value" },
	{ VT_TAGS, EV, "[{\"resourceId\":\"web-asg\",\"resourceType\":\"auto-scaling-group\","
	  "\"key\":\"team\",\"value\":\"web\",\"propagateAtLaunch\":true}]", "{\"team\":\"web\"}",
	  "Auto Scaling tags: a pair with its group and propagation" },
	{ VT_TAGS, ST, "[{\"key\":\"team\",\"value\":\"web\",\"propagate_at_launch\":true}]",
	  "{\"team\":\"web\"}", "aws_autoscaling_group tag blocks" },
	{ VT_TAGS, EV, "[{\"resourceId\":\"web-asg\",\"key\":\"team\"}]", "{\"team\":\"\"}",
	  "Auto Scaling DeleteTags without a value" },
	/* ---- dns_name ---- */
	{ VT_DNS_NAME, EV, "\"DualStack.Web-1.eu-west-1.ELB.amazonaws.com.\"",
	  "\"dualstack.web-1.eu-west-1.elb.amazonaws.com\"", "lower case, final dot dropped" },
	{ VT_DNS_NAME, ST, "\"example.com\"", "\"example.com\"", "already plain" },
	{ VT_DNS_NAME, EV, "\".\"", "\".\"", "the root stays" },
	/* ---- name_value_set ---- */
	{ VT_NAME_VALUES, EV, "[{\"parameterName\":\"rds.force_ssl\",\"parameterValue\":\"0\","
	  "\"applyMethod\":\"pending-reboot\"}]", "[\"rds.force_ssl=0\"]", "RDS parameters" },
	{ VT_NAME_VALUES, ST, "[{\"name\":\"b\",\"value\":\"2\",\"apply_method\":\"immediate\"},"
	  "{\"name\":\"a\",\"value\":\"1\"}]", "[\"a=1\",\"b=2\"]", "state parameter set, sorted" },
	{ VT_NAME_VALUES, EV, "[{\"displayName\":\"vpn\",\"cidrBlock\":\"198.51.100.0/24\"},"
	  "{\"cidrBlock\":\"10.0.0.0/8\"}]", "[\"=10.0.0.0/8\",\"vpn=198.51.100.0/24\"]",
	  "GKE networks, one without a name" },
	{ VT_NAME_VALUES, ST, "[{\"origin_id\":\"s3\",\"domain_name\":\"b.s3.amazonaws.com\","
	  "\"origin_path\":\"\"}]", "[\"s3=b.s3.amazonaws.com\"]", "CloudFront origins in state" },
	{ VT_NAME_VALUES, EV, "{\"items\":[{\"name\":\"f\",\"value\":1}]}", "[\"f=1\"]",
	  "items wrapper, numeric value" },
	{ VT_TAGS, EV, "{\"key\":\"x\"}", "{\"key\":\"x\"}", "a map whose tag is named key" },
	{ VT_TAGS, ST, "{\"Name\":\"web\",\"key\":\"v\",\"value\":\"w\"}",
	  "{\"Name\":\"web\",\"key\":\"v\",\"value\":\"w\"}", "state map stays a map" },
	{ VT_TAGS, EV, "\"x\"", NULL, "a string is not tags" },
	{ VT_LABELS, EV, "{\"env\":\"prod\",\"team\":\"a\"}", "{\"env\":\"prod\",\"team\":\"a\"}",
	  "labels map" },
	{ VT_LABELS, ST, "{}", "{}", "empty labels" },
	/* ---- basename / gcp_path ---- */
	{ VT_BASENAME, EV, "\"zones/us-central1-a/machineTypes/e2-standard-8\"", "\"e2-standard-8\"",
	  "relative" },
	{ VT_BASENAME, EV, "\"https://www.googleapis.com/compute/v1/projects/p/zones/z/"
	  "machineTypes/e2-medium\"", "\"e2-medium\"", "URL" },
	/* driftctl_test__google_compute_instance__terraform.tfstate: machine_type */
	{ VT_BASENAME, ST, "\"e2-medium\"", "\"e2-medium\"", "already a name" },
	{ VT_BASENAME, ST, "\"a/b/\"", "\"b\"", "trailing slash" },
	{ VT_GCP_PATH, EV, "\"https://www.googleapis.com/compute/v1/projects/cloudskiff-dev-elie/"
	  "global/networks/test-network\"", "\"projects/cloudskiff-dev-elie/global/networks/test-network\"",
	  "self link" },
	{ VT_GCP_PATH, EV, "\"https://compute.googleapis.com/compute/beta/projects/p/zones/z/disks/d\"",
	  "\"projects/p/zones/z/disks/d\"", "beta URL" },
	{ VT_GCP_PATH, EV, "\"//compute.googleapis.com/projects/p/global/firewalls/f\"",
	  "\"projects/p/global/firewalls/f\"", "full resource name" },
	/* panther_gcp_audit_rule_tests.jsonl: firewalls.insert network */
	{ VT_GCP_PATH, EV, "\"projects/fake-project/global/networks/default\"",
	  "\"projects/fake-project/global/networks/default\"", "relative unchanged" },
	{ VT_GCP_PATH, EV, "\"https://example.com/x\"", "\"https://example.com/x\"",
	  "URL without projects/ unchanged" },
	/* ---- security group rules: event side ---- */
	/* invictus 20230710T1215Z_YMDRJwtmC82bUwAo: AuthorizeSecurityGroupIngress requestParameters */
	{ VT_SG_RULES, EV, "{\"groupId\":\"sg-04cfb7a4712d75b00\",\"ipPermissions\":{\"items\":"
	  "[{\"ipProtocol\":\"tcp\",\"fromPort\":443,\"toPort\":443,\"groups\":{},\"ipRanges\":"
	  "{\"items\":[{\"cidrIp\":\"0.0.0.0/0\",\"description\":\"TLS from Internet\"}]},"
	  "\"ipv6Ranges\":{},\"prefixListIds\":{}}]}}", "[\"tcp 443-443 0.0.0.0/0\"]",
	  "ipPermissions items" },
	/* same file: the newer flat form */
	{ VT_SG_RULES, EV, "{\"groupId\":\"sg-04cfb7a4712d75b00\",\"ipPermissions\":{},"
	  "\"ipProtocol\":\"tcp\",\"fromPort\":22,\"toPort\":22,\"cidrIp\":\"0.0.0.0/0\"}",
	  "[\"tcp 22-22 0.0.0.0/0\"]", "flat top-level cidrIp form" },
	/* invictus 20230710T1215Z_P0WZuP2zvLW2RcUo: AuthorizeSecurityGroupEgress, no ports */
	{ VT_SG_RULES, EV, "{\"items\":[{\"groups\":{},\"ipProtocol\":\"-1\",\"ipRanges\":"
	  "{\"items\":[{\"cidrIp\":\"0.0.0.0/0\"}]},\"ipv6Ranges\":{\"items\":[{\"cidrIpv6\":\"::/0\"}]},"
	  "\"prefixListIds\":{}}]}", "[\"-1 0-0 0.0.0.0/0\",\"-1 0-0 ::/0\"]", "-1 with v4 and v6" },
	/* panther: AuthorizeSecurityGroupIngress with string ports */
	{ VT_SG_RULES, EV, "[{\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/16\"}]},\"prefixListIds\":{},"
	  "\"fromPort\":\"443\",\"toPort\":\"443\",\"groups\":{},\"ipProtocol\":\"tcp\",\"ipv6Ranges\":{}}]",
	  "[\"tcp 443-443 0.0.0.0/16\"]", "bare array, string ports" },
	{ VT_SG_RULES, EV, "{\"items\":[{\"ipProtocol\":\"6\",\"fromPort\":80,\"toPort\":81,"
	  "\"groups\":{\"items\":[{\"groupId\":\"sg-1\",\"userId\":\"123\"}]},"
	  "\"prefixListIds\":{\"items\":[{\"prefixListId\":\"pl-1\"}]}},"
	  "{\"ipProtocol\":\"all\",\"fromPort\":-1,\"toPort\":-1,\"groups\":{\"items\":[{\"groupId\":\"sg-1\"}]}},"
	  "{\"ipProtocol\":\"17\",\"fromPort\":53,\"toPort\":53,\"ipRanges\":{\"items\":[{\"cidrIp\":\"10.0.0.0/8\"}]}},"
	  "{\"ipProtocol\":\"1\",\"fromPort\":-1,\"toPort\":-1,\"ipRanges\":{\"items\":[{\"cidrIp\":\"10.0.0.0/8\"}]}}]}",
	  "[\"-1 0-0 sg-1\",\"icmp -1--1 10.0.0.0/8\",\"tcp 80-81 pl-1\",\"tcp 80-81 sg-1\","
	  "\"udp 53-53 10.0.0.0/8\"]", "groups, prefix lists, protocol numbers, all" },
	/* invictus: responseElements.securityGroupRuleSet */
	{ VT_SG_RULES, EV, "{\"requestId\":\"x\",\"_return\":true,\"securityGroupRuleSet\":{\"items\":"
	  "[{\"groupId\":\"sg-0\",\"securityGroupRuleId\":\"sgr-0\",\"isEgress\":false,"
	  "\"ipProtocol\":\"tcp\",\"fromPort\":22,\"toPort\":22,\"cidrIpv4\":\"0.0.0.0/0\"}]}}",
	  "[\"tcp 22-22 0.0.0.0/0\"]", "response securityGroupRuleSet" },
	{ VT_SG_RULES, EV, "{\"items\":[{\"ipProtocol\":\"tcp\",\"fromPort\":1,\"toPort\":2}]}",
	  "[\"tcp 1-2\"]", "a rule without a source stays visible" },
	/* ---- security group rules: state side ---- */
	/* driftctl_test__aws_lb_listener__terraform.tfstate: aws_security_group ingress/egress */
	{ VT_SG_RULES, ST, "[{\"cidr_blocks\":[\"10.100.0.0/16\"],\"description\":\"TLS from VPC\","
	  "\"from_port\":443,\"ipv6_cidr_blocks\":[],\"prefix_list_ids\":[],\"protocol\":\"tcp\","
	  "\"security_groups\":[],\"self\":false,\"to_port\":443}]", "[\"tcp 443-443 10.100.0.0/16\"]",
	  "ingress" },
	{ VT_SG_RULES, ST, "[{\"cidr_blocks\":[\"0.0.0.0/0\"],\"description\":\"\",\"from_port\":0,"
	  "\"ipv6_cidr_blocks\":[\"::/0\"],\"prefix_list_ids\":[],\"protocol\":\"-1\","
	  "\"security_groups\":[],\"self\":false,\"to_port\":0}]",
	  "[\"-1 0-0 0.0.0.0/0\",\"-1 0-0 ::/0\"]", "egress all" },
	/* inframap_aws_state_sg.json: security_groups source */
	{ VT_SG_RULES, ST, "[{\"cidr_blocks\":[],\"description\":\"\",\"from_port\":3306,"
	  "\"ipv6_cidr_blocks\":[],\"prefix_list_ids\":[\"pl-9\"],\"protocol\":\"tcp\","
	  "\"security_groups\":[\"sg-0e74bbe876eba7e6f\"],\"self\":true,\"to_port\":3306}]",
	  "[\"tcp 3306-3306 pl-9\",\"tcp 3306-3306 self\",\"tcp 3306-3306 sg-0e74bbe876eba7e6f\"]",
	  "security groups, prefix lists, self" },
	{ VT_SG_RULES, ST, "[]", "[]", "no rules" },
	{ VT_SG_RULES, ST, "{\"type\":\"ingress\",\"from_port\":22,\"to_port\":22,\"protocol\":\"6\","
	  "\"cidr_blocks\":null,\"source_security_group_id\":\"sg-2\",\"self\":false}",
	  "[\"tcp 22-22 sg-2\"]", "aws_security_group_rule" },
	{ VT_SG_RULES, ST, "{\"ip_protocol\":\"-1\",\"from_port\":null,\"to_port\":null,"
	  "\"cidr_ipv4\":\"10.0.0.0/8\"}", "[\"-1 0-0 10.0.0.0/8\"]",
	  "aws_vpc_security_group_ingress_rule" },
	/* ---- GCP firewall rules ---- */
	/* panther_gcp_audit_rule_tests.jsonl: firewalls.insert alloweds */
	{ VT_GCP_FW_RULES, EV, "[{\"IPProtocol\":\"tcp\",\"ports\":[\"3389\"]}]", "[\"tcp:3389\"]",
	  "alloweds list" },
	{ VT_GCP_FW_RULES, EV, "{\"denieds\":[{\"IPProtocol\":\"all\"}]}", "[\"all\"]",
	  "request object with denieds" },
	{ VT_GCP_FW_RULES, EV, "{\"allowed\":[{\"IPProtocol\":\"TCP\",\"ports\":[\"80-81\",\"22\"]},"
	  "{\"IPProtocol\":\"icmp\"},{\"IPProtocol\":\"6\",\"ports\":\"443\"}],\"name\":\"f\"}",
	  "[\"icmp\",\"tcp:22\",\"tcp:443\",\"tcp:80-81\"]", "allowed, ranges, protocol number" },
	/* driftctl_test__google_compute_firewall__terraform.tfstate: allow */
	{ VT_GCP_FW_RULES, ST, "[{\"ports\":[\"80\",\"8080\",\"1000-2000\"],\"protocol\":\"tcp\"},"
	  "{\"ports\":[],\"protocol\":\"icmp\"}]",
	  "[\"icmp\",\"tcp:1000-2000\",\"tcp:80\",\"tcp:8080\"]", "state allow" },
	{ VT_GCP_FW_RULES, ST, "[]", "[]", "state deny empty" },
	/* ---- GCP metadata ---- */
	{ VT_GCP_METADATA, EV, "{\"fingerprint\":\"abc=\",\"items\":[{\"key\":\"startup-script\","
	  "\"value\":\"echo hi\"},{\"key\":\"enable-oslogin\",\"value\":\"TRUE\"}],"
	  "\"kind\":\"compute#metadata\"}",
	  "{\"enable-oslogin\":\"TRUE\",\"startup-script\":\"echo hi\"}", "items" },
	{ VT_GCP_METADATA, EV, "{\"fingerprint\":\"abc=\"}", "{}", "all items removed" },
	{ VT_GCP_METADATA, EV, "{\"metadata\":{\"items\":[{\"key\":\"a\",\"value\":\"b\"}]}}",
	  "{\"a\":\"b\"}", "insert request's metadata" },
	{ VT_GCP_METADATA, ST, "{\"enable-oslogin\":\"TRUE\",\"startup-script\":\"echo hi\"}",
	  "{\"enable-oslogin\":\"TRUE\",\"startup-script\":\"echo hi\"}", "state map" },
	{ VT_GCP_METADATA, EV, "\"x\"", NULL, "a string is not metadata" },
	/* ---- redacted ---- */
	/* panther: ModifyInstanceAttribute userData */
	{ VT_REDACTED, EV, "\"<sensitiveDataRemoved>\"", "\"(not logged)\"", "event side" },
	{ VT_REDACTED, ST, "\"4f1a7c\"", "\"4f1a7c\"", "state side keeps the state value" },
};

static json_object *
parse(const char *s)
{
	json_object *o;
	enum json_tokener_error e;

	if (strcmp(s, "null") == 0)
		return NULL;
	o = json_tokener_parse_verbose(s, &e);
	if (o == NULL)
		diag("cannot parse test JSON %s", s);
	return o;
}

static void
test_rows(void)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(rows); i++) {
		const struct row *r = &rows[i];
		json_object *in = parse(r->in), *out;
		char *got;

		out = r->side == EV ? val_from_event(r->t, in) : val_from_state(r->t, in);
		got = out != NULL ? val_to_string(out) : NULL;
		is_str(got, r->want, "%s %s: %s", val_transform_name(r->t),
		    r->side == EV ? "event" : "state", r->what);
		free(got);
		json_object_put(out);
		json_object_put(in);
	}
}

/* An event value and a state value that must compare equal (or not). */
struct pair {
	enum val_transform t;
	const char *ev, *st;
	int equal;
	const char *what;
};

static const struct pair pairs[] = {
	{ VT_STRING, "{\"value\":\"t3.nano\"}", "\"t3.nano\"", 1, "wrapped string" },
	{ VT_STRING, "\"t3.nano\"", "\"t3.micro\"", 0, "different strings" },
	{ VT_BOOL, "{\"value\":false}", "false", 1, "wrapped bool" },
	{ VT_BOOL, "\"true\"", "false", 0, "different bools" },
	{ VT_INT, "\"256\"", "256", 1, "string vs int" },
	{ VT_NUMBER, "\"2.50\"", "2.5", 1, "number text" },
	{ VT_NUMBER, "3", "3.0", 1, "int vs integral double" },
	{ VT_JSON, "{\"a\":1,\"b\":[1,2]}", "\"{\\\"b\\\":[1,2],\\\"a\\\":1.0}\"", 1, "key order" },
	{ VT_JSON, "[1,2]", "[2,1]", 0, "array order matters" },
	/* invictus CreateRole assumeRolePolicyDocument vs a Terraform-style rendering */
	{ VT_POLICY,
	  "\"{\\\"Statement\\\":[{\\\"Action\\\":[\\\"sts:AssumeRole\\\",\\\"sts:SetSourceIdentity\\\"],"
	  "\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"123837392027\\\"},\\\"Sid\\\":\\\"\\\"}],"
	  "\\\"Version\\\":\\\"2012-10-17\\\"}\"",
	  "\"{\\n  \\\"Version\\\" : \\\"2012-10-17\\\",\\n  \\\"Statement\\\" : {\\n    \\\"Sid\\\" : \\\"\\\",\\n"
	  "    \\\"Effect\\\" : \\\"Allow\\\",\\n    \\\"Principal\\\" : {\\\"AWS\\\" : [\\\"123837392027\\\"]},\\n"
	  "    \\\"Action\\\" : [\\\"sts:SetSourceIdentity\\\", \\\"sts:AssumeRole\\\"]\\n  }\\n}\"",
	  1, "policy: whitespace, single statement, principal list, action order" },
	{ VT_POLICY, "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
	  "\"{\\\"Statement\\\":[{\\\"Effect\\\":\\\"Deny\\\",\\\"Action\\\":\\\"s3:*\\\",\\\"Resource\\\":\\\"*\\\"}]}\"",
	  0, "policy: effect differs" },
	{ VT_POLICY, "{\"Statement\":[{\"Sid\":\"a\"},{\"Sid\":\"b\"}]}",
	  "{\"Statement\":[{\"Sid\":\"b\"},{\"Sid\":\"a\"}]}", 1, "policy: statement order" },
	{ VT_STRING_SET, "[\"b\",\"a\"]", "[\"a\",\"b\",\"a\"]", 1, "set order and repeats" },
	{ VT_TAGS, "{\"tagSet\":{\"items\":[{\"key\":\"Name\",\"value\":\"web\"}]}}",
	  "{\"Name\":\"web\"}", 1, "EC2 tags vs state map" },
	{ VT_TAGS, "[{\"Key\":\"Name\",\"Value\":\"web\"}]", "{\"Name\":\"db\"}", 0, "tag value differs" },
	{ VT_BASENAME, "\"zones/z/machineTypes/e2-standard-8\"", "\"e2-standard-8\"", 1, "machine type" },
	{ VT_GCP_PATH, "\"https://www.googleapis.com/compute/v1/projects/p/global/networks/n\"",
	  "\"https://www.googleapis.com/compute/beta/projects/p/global/networks/n\"", 1, "self links" },
	{ VT_SG_RULES,
	  "{\"items\":[{\"ipProtocol\":\"-1\",\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/0\"}]},"
	  "\"ipv6Ranges\":{\"items\":[{\"cidrIpv6\":\"::/0\"}]}}]}",
	  "[{\"cidr_blocks\":[\"0.0.0.0/0\"],\"from_port\":0,\"to_port\":0,\"protocol\":\"-1\","
	  "\"ipv6_cidr_blocks\":[\"::/0\"],\"security_groups\":[],\"self\":false,\"prefix_list_ids\":[]}]",
	  1, "egress all: event vs state" },
	{ VT_SG_RULES,
	  "{\"items\":[{\"ipProtocol\":\"tcp\",\"fromPort\":22,\"toPort\":22,"
	  "\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/0\"}]}}]}",
	  "[{\"cidr_blocks\":[\"10.0.0.0/8\"],\"from_port\":22,\"to_port\":22,\"protocol\":\"tcp\"}]",
	  0, "SSH opened to the world vs state" },
	{ VT_GCP_FW_RULES, "[{\"IPProtocol\":\"tcp\",\"ports\":[\"8080\",\"80\"]}]",
	  "[{\"protocol\":\"tcp\",\"ports\":[\"80\",\"8080\"]}]", 1, "firewall ports" },
	{ VT_GCP_METADATA, "{\"items\":[{\"key\":\"a\",\"value\":\"1\"}]}", "{\"a\":\"1\"}", 1, "metadata" },
	{ VT_REDACTED, "\"<sensitiveDataRemoved>\"", "\"(not logged)\"", 0, "redacted never equal" },
	{ VT_REDACTED, "\"<sensitiveDataRemoved>\"", "\"x\"", 0, "redacted never equal (2)" },
};

static void
test_pairs(void)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(pairs); i++) {
		const struct pair *p = &pairs[i];
		json_object *e = parse(p->ev), *s = parse(p->st);
		json_object *ce = val_from_event(p->t, e), *cs = val_from_state(p->t, s);

		is_int(val_equal(ce, cs), p->equal, "%s: %s", val_transform_name(p->t), p->what);
		json_object_put(ce);
		json_object_put(cs);
		json_object_put(e);
		json_object_put(s);
	}
	ok(val_equal(NULL, NULL), "NULL == NULL");
	{
		json_object *x = json_object_new_string("");

		ok(!val_equal(x, NULL) && !val_equal(NULL, x), "NULL != \"\"");
		json_object_put(x);
	}
}

static char *
minus(const char *a, const char *b)
{
	json_object *ja = parse(a), *jb = parse(b), *d = val_set_minus(ja, jb);
	char *s = d != NULL ? val_to_string(d) : NULL;

	json_object_put(ja);
	json_object_put(jb);
	json_object_put(d);
	return s;
}

static void
test_set_minus(void)
{
	static const struct {
		const char *a, *b, *want, *what;
	} t[] = {
		{ "[\"a\",\"b\",\"c\"]", "[\"b\"]", "[\"a\",\"c\"]", "array minus array" },
		{ "[\"a\"]", "[\"a\"]", "[]", "nothing left" },
		{ "[\"a\",\"b\"]", "null", "[\"a\",\"b\"]", "minus nothing" },
		{ "[{\"x\":1}]", "[{\"x\":1.0}]", "[]", "structural members" },
		{ "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}", "{\"a\":\"1\",\"b\":\"9\"}",
		  "{\"b\":\"2\",\"c\":\"3\"}", "map: changed and new keys" },
		{ "{\"a\":\"1\"}", "null", "{\"a\":\"1\"}", "map minus nothing" },
		{ "\"x\"", "[\"y\"]", "[\"x\"]", "scalar a is one member" },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(t); i++) {
		char *s = minus(t[i].a, t[i].b);

		is_str(s, t[i].want, "set_minus: %s", t[i].what);
		free(s);
	}
	ok(val_set_minus(NULL, NULL) == NULL, "set_minus of NULL is NULL");
}

static void
test_text(void)
{
	json_object *v = parse("{\"b\":[1,{\"z\":\"q\\\"\\n\\u0001\",\"y\":{}}],\"a\":[],"
	    "\"c\":-0.25,\"d\":null,\"e\":true}");
	char *s = val_to_string(v), *p = val_to_pretty(v);

	is_str(s, "{\"a\":[],\"b\":[1,{\"y\":{},\"z\":\"q\\\"\\n\\u0001\"}],\"c\":-0.25,\"d\":null,"
	    "\"e\":true}", "compact sorted text");
	is_str(p, "{\n  \"a\": [],\n  \"b\": [\n    1,\n    {\n      \"y\": {},\n"
	    "      \"z\": \"q\\\"\\n\\u0001\"\n    }\n  ],\n  \"c\": -0.25,\n  \"d\": null,\n"
	    "  \"e\": true\n}", "pretty sorted text");
	free(s);
	free(p);
	json_object_put(v);
	s = val_to_string(NULL);
	is_str(s, "null", "NULL prints as null");
	free(s);
}

static void
test_names(void)
{
	int i;
	enum val_transform t;

	for (i = 0; i < VT__COUNT; i++) {
		ok(val_transform_parse(val_transform_name((enum val_transform)i), &t) == 0 &&
		    t == (enum val_transform)i, "name round trip: %s",
		    val_transform_name((enum val_transform)i));
	}
	ok(val_transform_parse("sg_rule", &t) != 0, "unknown name rejected");
	ok(val_transform_parse(NULL, &t) != 0, "NULL name rejected");
	is_str(val_transform_name(VT__COUNT), "unknown", "out of range");
	ok(val_transform_is_set(VT_STRING_SET) && val_transform_is_set(VT_SG_RULES) &&
	    val_transform_is_set(VT_GCP_FW_RULES) && val_transform_is_set(VT_NAME_VALUES),
	    "set transforms");
	ok(!val_transform_is_set(VT_STRING) && !val_transform_is_set(VT_TAGS) &&
	    !val_transform_is_set(VT_POLICY), "non-set transforms");
	ok(val_from_event(VT_STRING, NULL) == NULL && val_from_state(VT_TAGS, NULL) == NULL &&
	    val_from_event(VT_REDACTED, NULL) == NULL, "absent in, absent out");
}

int
main(void)
{
	test_rows();
	test_pairs();
	test_set_minus();
	test_text();
	test_names();
	return done_testing();
}
