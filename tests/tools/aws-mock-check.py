#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""aws-mock-check.py - the mock refuses what AWS would refuse.

    /usr/bin/python3 tests/tools/aws-mock-check.py

Run by tests/t-ecr.sh (part "mock") with the mock started and its variables
(MOCK_URL, MOCK_HTTP_URL, MOCK_DIR, the MOCK_*_KEY_ID and _SECRET pairs) in
the environment.  A test that passes against a lenient mock proves little,
so this signs requests with botocore, the AWS SDK for Python, then spoils
one thing at a time and checks that the mock answers as the service does:
the same status and error code.  Prints TAP lines ("ok - ...").
"""
import base64
import datetime
import html
import http.client
import json
import os
import re
import ssl
import sys
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
PUBLIC_TARGET = "SpencerFrontendService.GetAuthorizationToken"
JSON_TYPE = "application/x-amz-json-1.1"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"

failed = 0
https = urllib.parse.urlsplit(os.environ["MOCK_URL"])
plain = urllib.parse.urlsplit(os.environ["MOCK_HTTP_URL"])
tls = ssl.create_default_context(cafile=os.path.join(os.environ["MOCK_DIR"], "ca.crt"))


def check(name, cond, detail=""):
    global failed
    if cond:
        print(f"ok - mock: {name}")
    else:
        failed += 1
        print(f"not ok - mock: {name}")
        for line in str(detail).splitlines()[:6]:
            print(f"#   {line}")


def send(method, path, headers, body=b"", secure=True):
    """(status, error code or "", body text) of one request."""
    if secure:
        conn = http.client.HTTPSConnection(https.hostname, https.port, context=tls, timeout=10)
    else:
        conn = http.client.HTTPConnection(plain.hostname, plain.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        code = r.getheader("x-amzn-ErrorType") or ""
        m = re.search(r"<Code>([^<]*)</Code>", text)
        if m:
            code = m.group(1)
        return r.status, code, text
    finally:
        conn.close()


def signed(service, region, creds, headers, body, when=None):
    """headers with a SigV4 Authorization made by botocore."""
    req = botocore.awsrequest.AWSRequest(method="POST", url=f"https://{https.netloc}/",
                                         data=body, headers=dict(headers))
    signer = botocore.auth.SigV4Auth(creds, service, region)
    if when is None:
        signer.add_auth(req)
    else:
        # add_auth() takes the time from the clock: sign by hand for another
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        req.context["timestamp"] = stamp
        req.headers["X-Amz-Date"] = stamp
        if creds.token:
            req.headers["X-Amz-Security-Token"] = creds.token
        canonical = signer.canonical_request(req)
        sts = signer.string_to_sign(req, canonical)
        sig = signer.signature(sts, req)
        scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
        req.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
            f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(req))}, "
            f"Signature={sig}")
    return dict(req.headers.items())


def ecr_call(creds, body=b"{}", service="ecr", region="us-east-1", target=ECR_TARGET,
             sent_body=None, when=None, drop=(), ctype=JSON_TYPE):
    h = signed(service, region, creds, {"Content-Type": ctype, "X-Amz-Target": target,
                                        "Host": https.netloc}, body, when)
    for name in drop:
        h.pop(name, None)
    return send("POST", "/", h, body if sent_body is None else sent_body)


def assume_role(creds):
    body = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15",
                                   "RoleArn": "arn:aws:iam::123456789012:role/check",
                                   "RoleSessionName": "check"}).encode()
    h = signed("sts", "us-east-1", creds, {"Content-Type": FORM_TYPE, "Host": https.netloc},
               body)
    status, code, text = send("POST", "/", h, body)
    if status != 200:
        return status, code, None
    field = {tag: html.unescape(re.search(f"<{tag}>([^<]*)</{tag}>", text).group(1))
             for tag in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
    return status, code, botocore.credentials.Credentials(
        field["AccessKeyId"], field["SecretAccessKey"], field["SessionToken"])


def main():
    env = botocore.credentials.Credentials(os.environ["MOCK_ENV_KEY_ID"],
                                           os.environ["MOCK_ENV_SECRET"])
    status, code, text = ecr_call(env)
    check("a request botocore signed is answered", status == 200, f"{status} {text}")
    token = json.loads(text)["authorizationData"][0]["authorizationToken"] if status == 200 else ""
    check("with a base64 AWS:password token",
          token and base64.b64decode(token).startswith(b"AWS:"), token)

    status, code, _ = ecr_call(env, body=b"{}", sent_body=b'{"registryIds":["999999999999"]}')
    check("a body changed after signing is refused",
          (status, code) == (403, "InvalidSignatureException"), f"{status} {code}")

    status, code, _ = ecr_call(botocore.credentials.Credentials(
        os.environ["MOCK_ENV_KEY_ID"], "not-the-secret-000000000000000000000000"))
    check("a wrong secret is refused", (status, code) == (403, "InvalidSignatureException"),
          f"{status} {code}")

    status, code, text = ecr_call(env, service="sts")
    check("a signature scoped to another service is refused",
          (status, code) == (403, "InvalidSignatureException") and "ecr" in text,
          f"{status} {code} {text}")

    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    status, code, text = ecr_call(env, when=old)
    check("a request signed 10 minutes ago is refused",
          (status, code) == (403, "InvalidSignatureException") and "expired" in text,
          f"{status} {code} {text}")

    status, code, _ = ecr_call(env, drop=("Authorization",))
    check("an unsigned request is refused",
          (status, code) == (403, "MissingAuthenticationTokenException"), f"{status} {code}")

    status, code, _ = ecr_call(botocore.credentials.Credentials(
        "AKIDUNKNOWNEXAMPLE9", "unknownSecretKeyExample0000000000000009"))
    check("an unknown key id is refused",
          (status, code) == (403, "UnrecognizedClientException"), f"{status} {code}")

    status, code, _ = ecr_call(env, ctype="application/json")
    check("another content type is refused", status == 400, f"{status} {code}")

    status, code, _ = ecr_call(env, body=b'{"nonsense": 1}')
    check("a body with unknown members is refused", status == 400, f"{status} {code}")

    status, code, text = ecr_call(env, service="ecr-public", region="us-west-2",
                                  target=PUBLIC_TARGET)
    check("ECR Public signed outside us-east-1 is refused", status != 200, f"{status} {text}")
    status, code, text = ecr_call(env, service="ecr-public", target=PUBLIC_TARGET)
    check("ECR Public answers one authorizationData object",
          status == 200 and isinstance(json.loads(text).get("authorizationData"), dict),
          f"{status} {text}")

    status, code, temp = assume_role(env)
    check("STS AssumeRole signed by botocore gives temporary keys", temp is not None,
          f"{status} {code}")
    if temp:
        status, code, _ = ecr_call(temp)
        check("temporary keys with their session token are accepted", status == 200,
              f"{status} {code}")
        status, code, _ = ecr_call(temp, drop=("X-Amz-Security-Token",))
        check("temporary keys without their session token are refused",
              (status, code) == (403, "UnrecognizedClientException"), f"{status} {code}")

    form = urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity",
                                   "Version": "2011-06-15", "RoleArn": "arn:aws:iam::1:role/x",
                                   "RoleSessionName": "s", "WebIdentityToken": "unknown"})
    status, code, _ = send("POST", "/", {"Content-Type": FORM_TYPE}, form.encode())
    check("STS refuses a web identity token it does not know",
          (status, code) == (400, "InvalidIdentityToken"), f"{status} {code}")

    status, _, _ = send("GET", "/latest/meta-data/iam/security-credentials/", {}, secure=False)
    check("IMDS refuses a request without its session token (IMDSv1)", status == 401, status)
    status, _, _ = send("PUT", "/latest/api/token", {}, secure=False)
    check("IMDS refuses a token request without a TTL", status == 400, status)

    status, _, _ = send("GET", "/federation/credentials?account_id=123456789012&role_name=r",
                        {"x-amz-sso_bearer_token": "unknown"})
    check("the SSO portal refuses an unknown bearer token", status == 401, status)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
