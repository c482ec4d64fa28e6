#!/usr/bin/python3
"""botocore as the oracle for tests/live/aws_endpoints.sh (Debian's python3-botocore).

  aws_endpoints_botocore.py REGION... -- SERVICE...
      for every region x service x FIPS setting (off; AWS_USE_FIPS_ENDPOINT=true; the
      profile's use_fips_endpoint = true in AWS_CONFIG_FILE, which the caller writes with a
      [profile fips] section), print one line
          REGION SERVICE FIPS scheme://host
      or  REGION SERVICE FIPS error
      where host is the one botocore really sends the request to: the request is caught in
      its before-send event, after botocore's endpoint rule sets picked the URL, and never
      leaves the process.

tfdrift always uses regional endpoints, so STS and S3 in us-east-1 are asked for theirs
(AWS_STS_REGIONAL_ENDPOINTS=regional, AWS_S3_US_EAST_1_REGIONAL_ENDPOINT=regional: the
default of newer SDKs). Botocore 1.29 (Debian 12) predates endpoint_url in the config file and
AWS_ENDPOINT_URL (botocore 1.31), so that precedence is tested in aws_endpoints.sh against the
AWS SDKs and Tools Reference Guide ("Service-specific endpoints") instead.

Exit 77 when botocore is not installed (the test skips those checks).
"""
import os
import sys

try:
    import botocore.session
except ImportError:
    sys.exit(77)

CALLS = {
    "cloudtrail": lambda c: c.lookup_events(),
    "sqs": lambda c: c.list_queues(),
    "s3": lambda c: c.list_buckets(),
    "sts": lambda c: c.get_caller_identity(),
}


class Caught(Exception):
    pass


def endpoint(service, region, fips):
    for k in ("AWS_USE_FIPS_ENDPOINT", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
              "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_" + service.upper()):
        os.environ.pop(k, None)
    if fips == "env":
        os.environ["AWS_USE_FIPS_ENDPOINT"] = "true"
    elif fips == "profile":
        os.environ["AWS_PROFILE"] = "fips"
    session = botocore.session.Session()
    client = session.create_client(service, region_name=region,
                                   aws_access_key_id="AKIDORACLE",
                                   aws_secret_access_key="oracle-secret")

    def catch(request, **kwargs):
        raise Caught(request.url)

    client.meta.events.register("before-send", catch)
    try:
        CALLS[service](client)
    except Caught as c:
        url = str(c)
        return url[:url.index("/", url.index("://") + 3)]
    except botocore.exceptions.BotoCoreError:
        return "error"
    return "error"


def main():
    args = sys.argv[1:]
    if "--" not in args:
        sys.exit("usage: aws_endpoints_botocore.py REGION... -- SERVICE...")
    regions, services = args[:args.index("--")], args[args.index("--") + 1:]
    os.environ["AWS_STS_REGIONAL_ENDPOINTS"] = "regional"
    os.environ["AWS_S3_US_EAST_1_REGIONAL_ENDPOINT"] = "regional"
    for r in regions:
        for s in services:
            for f in ("off", "env", "profile"):
                print(r, s, f, endpoint(s, r, f))


main()
