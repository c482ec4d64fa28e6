#!/usr/bin/python3
"""botocore as the oracle for tests/live/aws_sso.sh (Debian's python3-botocore).

  aws_sso_botocore.py save START_URL SESSION|- < token.json
      write the token into the SSO token cache the way botocore's SSOTokenProvider does
      (SSOTokenLoader.save_token into a JSONFileCache of $HOME/.aws/sso/cache): botocore, not
      the test, picks the file name; prints the path it wrote
  aws_sso_botocore.py creds PROFILE
      resolve the profile's credentials with botocore (AWS_ENDPOINT_URL_SSO and
      AWS_ENDPOINT_URL_SSO_OIDC point it at the mock); prints "method access_key_id"
      (never the secret), or "error: ClassName" on stderr with exit 1
      (AWS_SSO_BOTOCORE_DEBUG=1: the traceback too)

Exit 77 when botocore is not installed (the test skips those checks).
"""
import json
import os
import sys

try:
    import botocore.session
    from botocore.tokens import _sso_json_dumps
    from botocore.utils import JSONFileCache, SSOTokenLoader
except ImportError:
    sys.exit(77)


def endpoint_overrides(session):
    """AWS_ENDPOINT_URL_<SERVICE> (SSO, SSO_OIDC, STS) for a botocore older than 1.31
    (Debian 12 has 1.29), which predates service-specific endpoint variables: passed as
    endpoint_url, which is what newer botocore does with them. Nothing else changes: the
    profile resolution, the cache and the refresh are botocore's own."""
    create = session.create_client

    def create_client(service_name, *args, **kwargs):
        url = os.environ.get("AWS_ENDPOINT_URL_" + service_name.upper().replace("-", "_"))
        if url and not kwargs.get("endpoint_url"):
            kwargs["endpoint_url"] = url
        return create(service_name, *args, **kwargs)

    session.create_client = create_client


def main():
    if sys.argv[1] == "save":
        start_url, session = sys.argv[2], sys.argv[3]
        session = None if session == "-" else session
        cache_dir = os.path.join(os.environ["HOME"], ".aws", "sso", "cache")
        cache = JSONFileCache(cache_dir, dumps_func=_sso_json_dumps)
        loader = SSOTokenLoader(cache=cache)
        loader.save_token(start_url, json.load(sys.stdin), session_name=session)
        # The file botocore itself reads back for this profile.
        print(cache._convert_cache_key(loader._generate_cache_key(start_url, session)))
        return 0
    if sys.argv[1] == "creds":
        try:
            s = botocore.session.Session(profile=sys.argv[2])
            endpoint_overrides(s)
            c = s.get_credentials()
            if c is None:
                print("error: no credentials", file=sys.stderr)
                return 1
            f = c.get_frozen_credentials()
            print(c.method, f.access_key)
        except Exception as e:  # the class is what the test compares
            print("error: %s" % type(e).__name__, file=sys.stderr)
            if os.environ.get("AWS_SSO_BOTOCORE_DEBUG"):
                raise
            return 1
        return 0
    print("usage: aws_sso_botocore.py save|creds ...", file=sys.stderr)
    return 2


sys.exit(main())
