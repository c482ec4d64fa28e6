/* Unit tests for aws_creds' pure parts: the ini files (comments, spaces, [profile x] vs [x],
 * nested sub-sections), credential_process command splitting, the STS XML (with an <Error>),
 * Expiration parsing and the container URL. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "tap.h"
#include "util.h"

static const char ini[] =
    "# a comment\n"
    "; another = comment\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "region=eu-west-1\n"
    "s3 =\n"
    "    max_concurrent_requests = 20\n"
    "    region = nested-must-not-win\n"
    "\n"
    "[profile   prod]  \n"
    "  indented_is_nested = yes\n"
    "Role_Arn   =   arn:aws:iam::123456789012:role/prod  \n"
    "empty =\n"
    "[prod]\n"
    "role_arn = arn:aws:iam::123456789012:role/not-in-config\n"
    "[services x]\n"
    "sts =\n"
    "  endpoint_url = http://127.0.0.1:1\n"
    "[last]\r\n"
    "key = crlf\r\n";

static void
split_is(const char *line, const char *want, const char *name)
{
	char **argv = NULL, *err = NULL;
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	if (aws_split_command(line, &argv, &err) != 0) {
		sb_adds(&sb, "ERR:");
		sb_adds(&sb, err);
		free(err);
	} else
		for (i = 0; argv[i] != NULL; i++)
			sb_addf(&sb, "%s<%s>", i ? " " : "", argv[i]);
	is_str(sb.buf, want, "split: %s", name);
	sb_free(&sb);
	aws_argv_free(argv);
}

int
main(void)
{
	struct aws_keys_buf k;
	char *s, *err = NULL;
	int found;
	int64_t ms;

	/* ini */
	s = aws_ini_get(ini, "default", "aws_access_key_id", &found);
	is_str(s, "AKIDDEFAULT", "[default] key with spaces around =");
	ok(found, "[default] found");
	free(s);
	s = aws_ini_get(ini, "default", "region", NULL);
	is_str(s, "eu-west-1", "key=value without spaces; a nested region does not override it");
	free(s);
	s = aws_ini_get(ini, "default", "max_concurrent_requests", NULL);
	ok(s == NULL, "nested sub-section keys are not section keys");
	free(s);
	s = aws_ini_get(ini, "profile prod", "role_arn", &found);
	is_str(s, "arn:aws:iam::123456789012:role/prod", "[profile   prod]: spaces, key case-insensitive, value trimmed");
	free(s);
	s = aws_ini_get(ini, "prod", "role_arn", NULL);
	is_str(s, "arn:aws:iam::123456789012:role/not-in-config", "[prod] is a different section from [profile prod]");
	free(s);
	s = aws_ini_get(ini, "profile prod", "indented_is_nested", NULL);
	ok(s == NULL, "an indented line is never a key");
	free(s);
	s = aws_ini_get(ini, "profile prod", "empty", &found);
	ok(s == NULL && found, "an empty value is no value; the section exists");
	free(s);
	s = aws_ini_get(ini, "profile nope", "role_arn", &found);
	ok(s == NULL && !found, "a missing section");
	free(s);
	s = aws_ini_get(ini, "default", "another", NULL);
	ok(s == NULL, "; comment lines are skipped");
	free(s);
	s = aws_ini_get(ini, "services x", "endpoint_url", NULL);
	ok(s == NULL, "nested endpoint_url is not a key of [services x]");
	free(s);
	s = aws_ini_get_sub(ini, "services x", "sts", "endpoint_url");
	is_str(s, "http://127.0.0.1:1", "the nested endpoint_url under sts = of [services x]");
	free(s);
	s = aws_ini_get_sub(ini, "services x", "s3", "endpoint_url");
	ok(s == NULL, "a service not in [services x]");
	free(s);
	s = aws_ini_get_sub(ini, "default", "s3", "region");
	is_str(s, "nested-must-not-win", "a nested key of [default]'s s3 =");
	free(s);
	s = aws_ini_get_sub(ini, "last", "key", "x");
	ok(s == NULL, "a key with a value has no nested keys");
	free(s);

	/* partitions (botocore's endpoints.json regionRegex, DNS suffixes) */
	is_str(aws_partition("cn-northwest-1")->name, "aws-cn", "cn-* is aws-cn");
	is_str(aws_partition("cn-north-1")->dns_suffix, "amazonaws.com.cn", "... amazonaws.com.cn");
	is_str(aws_partition("cn-northwest-1")->global_region, "cn-north-1",
	    "... global services in cn-north-1");
	is_str(aws_partition("us-gov-east-1")->name, "aws-us-gov", "us-gov-* is aws-us-gov");
	is_str(aws_partition("us-gov-east-1")->global_region, "us-gov-west-1",
	    "... global services in us-gov-west-1");
	is_str(aws_partition("us-isob-east-1")->name, "aws-iso-b", "us-isob-* is not aws-iso");
	is_str(aws_partition("us-iso-west-1")->dns_suffix, "c2s.ic.gov", "us-iso-*: c2s.ic.gov");
	is_str(aws_partition("eu-west-1")->name, "aws", "the rest is aws");
	is_str(aws_partition(NULL)->global_region, "us-east-1", "NULL: aws, us-east-1");
	s = aws_ini_get(ini, "last", "key", NULL);
	is_str(s, "crlf", "CRLF line ends");
	free(s);

	/* credential_process splitting (Python shlex.split, POSIX) */
	split_is("/usr/bin/get-creds --profile prod", "</usr/bin/get-creds> <--profile> <prod>", "words");
	split_is("  a   b\tc  ", "<a> <b> <c>", "runs of blanks");
	split_is("cmd 'two words' \"and three words\"", "<cmd> <two words> <and three words>", "quotes");
	split_is("cmd \"a \\\"q\\\" \\\\ \\n\"", "<cmd> <a \"q\" \\ \\n>", "backslashes in double quotes");
	split_is("cmd 'a\\b'", "<cmd> <a\\b>", "single quotes are literal");
	split_is("cmd a\\ b", "<cmd> <a b>", "backslash-space outside quotes");
	split_is("cmd '' x", "<cmd> <> <x>", "an empty quoted word");
	split_is("cmd pre'fix'\"ed\"", "<cmd> <prefixed>", "quotes inside a word");
	split_is("cmd 'open", "ERR:credential_process: no closing quotation in the command line", "unclosed quote");
	split_is("   ", "ERR:credential_process: the command line is empty", "empty");
	split_is("cmd \\", "ERR:credential_process: a backslash ends the command line", "trailing backslash");

	/* STS XML */
	{
		const char *xml =
		    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
		    "<AssumeRoleResult><SourceIdentity/><AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>"
		    "<Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>\n"
		    "<Credentials>\n  <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
		    "  <SecretAccessKey>se&amp;cr&#x2F;et&#43;</SecretAccessKey>\n"
		    "  <SessionToken>tok&lt;en&gt;</SessionToken>\n"
		    "  <Expiration>2024-05-27T10:15:00Z</Expiration>\n</Credentials>\n"
		    "</AssumeRoleResult></AssumeRoleResponse>\n";

		ok(aws_sts_parse(xml, &k, &err) == 0, "AssumeRole response parsed");
		is_str(k.access_key_id, "ASIAEXAMPLE", "AccessKeyId");
		is_str(k.secret_access_key, "se&cr/et+", "SecretAccessKey with entities decoded");
		is_str(k.session_token, "tok<en>", "SessionToken");
		is_int(k.expires_ms, 1716804900000LL, "Expiration");
		ok(k.keys.access_key_id == k.access_key_id, "keys point into the buffer");
		aws_keys_buf_clear(&k);
		s = aws_xml_text(xml, "SourceIdentity");
		is_str(s, "", "an empty element <x/>");
		free(s);
		s = aws_xml_text(xml, "Arn");
		is_str(s, "arn:aws:sts::1:assumed-role/r/s", "<Arn> is not matched by <AssumedRoleId>'s prefix");
		free(s);
		s = aws_xml_text("<AccessKeyIdX>no</AccessKeyIdX><AccessKeyId a=\"1\">yes</AccessKeyId>",
		    "AccessKeyId");
		is_str(s, "yes", "whole element names only, attributes allowed");
		free(s);
	}
	ok(aws_sts_parse("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
	    "<Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request "
	    "signature we calculated does not match</Message></Error><RequestId>r</RequestId>"
	    "</ErrorResponse>", &k, &err) == -1, "an <Error> response fails");
	is_str(err, "STS SignatureDoesNotMatch: The request signature we calculated does not match",
	    "its code and message");
	free(err);
	err = NULL;
	ok(aws_sts_parse("<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>", &k, &err) == -1 &&
	    strstr(err, "without <Credentials>") != NULL, "no Credentials");
	free(err);
	err = NULL;
	ok(aws_sts_parse("<x><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S"
	    "</SecretAccessKey><Expiration>soon</Expiration></Credentials></x>", &k, &err) == -1 &&
	    strstr(err, "not a time") != NULL && strstr(err, "S<") == NULL, "a bad Expiration; no secret in the error");
	free(err);
	err = NULL;
	ok(aws_sts_parse("<x><Credentials><AccessKeyId>A</AccessKeyId>", &k, &err) == -1,
	    "a truncated document");
	free(err);
	err = NULL;

	/* Expiration */
	ok(aws_parse_expiration("2024-05-27T10:15:00Z", &ms) == 0 && ms == 1716804900000LL, "Z");
	ok(aws_parse_expiration("2024-05-27T10:15:00.250Z", &ms) == 0 && ms == 1716804900250LL, "fraction");
	ok(aws_parse_expiration("2024-05-27T12:15:00+02:00", &ms) == 0 && ms == 1716804900000LL, "offset");
	ok(aws_parse_expiration("1716804900", &ms) != 0, "epoch seconds are not an Expiration");
	ok(aws_parse_expiration("", &ms) != 0 && aws_parse_expiration(NULL, &ms) != 0, "empty");
	ok(aws_parse_expiration("2024-13-99Tzz", &ms) != 0, "garbage");

	/* container URL */
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
	s = aws_container_url(&err);
	is_str(s, "http://169.254.170.2/v2/credentials/abc", "RELATIVE uri on 169.254.170.2");
	free(s);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/x", 1);
	s = aws_container_url(&err);
	is_str(s, "http://169.254.170.2/v2/credentials/abc", "RELATIVE wins over FULL");
	free(s);
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	s = aws_container_url(&err);
	is_str(s, "http://127.0.0.1:9/x", "FULL on loopback");
	free(s);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::1]:9/x", 1);
	s = aws_container_url(&err);
	is_str(s, "http://[::1]:9/x", "FULL on ::1");
	free(s);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example.com/x", 1);
	s = aws_container_url(&err);
	is_str(s, "https://creds.example.com/x", "FULL https anywhere");
	free(s);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials", 1);
	s = aws_container_url(&err);
	is_str(s, "http://169.254.170.23/v1/credentials", "FULL on the EKS Pod Identity address");
	free(s);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://creds.example.com/x", 1);
	s = aws_container_url(&err);
	ok(s == NULL && err != NULL && strstr(err, "must be https") != NULL, "FULL plain http elsewhere refused");
	free(err);
	err = NULL;
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.evil.com/x", 1);
	s = aws_container_url(&err);
	ok(s == NULL && err != NULL, "127.0.0.1.evil.com is not loopback");
	free(err);
	err = NULL;
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost@evil.com/x", 1);
	s = aws_container_url(&err);
	ok(s == NULL && err != NULL, "userinfo tricks refused");
	free(err);
	err = NULL;
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	s = aws_container_url(&err);
	ok(s == NULL && err == NULL, "neither set: NULL and no error");

	/* The SSO token cache names: botocore's test vector (tests/unit/test_utils.py,
	 * SSOTokenLoader: the start URL's sha1) and a session name's. */
	s = aws_sso_cache_path("/home/u", "https://d-abc123.awsapps.com/start");
	is_str(s, "/home/u/.aws/sso/cache/40a89917e3175433e361b710a9d43528d7f1890a.json",
	    "legacy SSO cache file: sha1 of the start URL");
	free(s);
	s = aws_sso_cache_path("/h", "admin");
	is_str(s, "/h/.aws/sso/cache/d033e22ae348aeb5660fc2140aec35850c4da997.json",
	    "sso_session cache file: sha1 of the session name");
	free(s);
	{
		static const char sso[] =
		    "[profile dev]\nsso_session = my-sso\n"
		    "[sso-session my-sso]\nsso_region = us-east-1\n"
		    "sso_start_url = https://my-sso-portal.awsapps.com/start\n";

		found = 0;
		s = aws_ini_get(sso, "sso-session my-sso", "sso_start_url", &found);
		is_str(s, "https://my-sso-portal.awsapps.com/start", "[sso-session NAME] is a section");
		free(s);
		ok(found, "... found");
	}
	return done_testing();
}
