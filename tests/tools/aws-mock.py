#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""aws-mock.py - a local fake AWS for credkit's tests and benchmarks.

    /usr/bin/python3 tests/tools/aws-mock.py --dir DIR

DIR holds ca.crt, server.crt and server.key (tests/lib-aws.sh makes them).
Three listeners on 127.0.0.1, each on a free port, written to DIR/ports as
"HTTPS_PORT HTTP_PORT PROXY_PORT" once they listen:

  HTTPS  ECR and ECR Public (GetAuthorizationToken), STS (AssumeRole,
         AssumeRoleWithWebIdentity, GetCallerIdentity: the ARN of the
         signing key, "arn:aws:iam::123456789012:user/KEY_ID" for a
         long-term one, the assumed role's session for a temporary one), the IAM Identity Center portal
         (GetRoleCredentials), and the control API under /__mock/
  HTTP   EC2 instance metadata (IMDSv2; IMDSv1 and refused tokens when set)
         and the ECS/EKS container endpoint
  proxy  a CONNECT proxy that terminates TLS itself with server.crt (whose
         names are the real AWS host names) and serves the HTTPS routes, so
         that an unmodified client with HTTPS_PROXY and AWS_CA_BUNDLE (the Go
         helper) reaches this mock under the real names

Every request is checked as AWS would: the SigV4 signature is computed
again, independently, by botocore from what was received and compared; the
scope's service and region, the clock skew, the session token of temporary
keys, the content type, the target and the body are checked too, and a
failure gets the error AWS sends.  Every call is counted (GET /__mock/calls)
and logged as one line "SERVICE REGION AKID STATUS" to DIR/calls.log (and
STS's as "ACTION ROLE_ARN AKID STATUS" to DIR/sts.log).

Control: POST /__mock/set with a JSON object merged into the settings (see
DEFAULTS), POST /__mock/reset.  The identities are fake.
"""
import argparse
import base64
import copy
import datetime
import email.utils
import http.server
import json
import os
import secrets
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

import mocktls

# Long-term keys the tests use (fake): key id -> secret.
LONG_TERM = {
    "AKIDENVEXAMPLE0001": "envSecretKeyExample0000000000000000000001",
    "AKIDPROFILEXAMPLE02": "profileSecretKeyExample00000000000000002",
    "AKIDPROCESSEXAMPLE3": "processSecretKeyExample00000000000000003",
    "AKIDSOURCEEXAMPLE04": "sourceSecretKeyExample000000000000000004",
}

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
PUBLIC_TARGET = "SpencerFrontendService.GetAuthorizationToken"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

DEFAULTS = {
    "ecr": {"fail": None, "delay_ms": 0, "expires_in": 43200, "expires_format": "float"},
    "ecr-public": {"fail": None, "delay_ms": 0, "expires_in": 43200, "expires_format": "float"},
    "sts": {"fail": None, "delay_ms": 0},
    "sso": {"fail": None, "delay_ms": 0},
    "imds": {"fail": None, "delay_ms": 0, "role": "credkit-test-role",
             "token": None, "v1": False},	# token: 403, 404, 405, "timeout"
    "container": {"fail": None, "delay_ms": 0},
    "web_identity_tokens": [],
    "web_identity_roles": {},		# token -> the one role it may assume
    "sso_tokens": [],
    "container_token": None,
    "roles": {},			# role ARN -> "denied"
    "clock": {"skew_s": 0, "step_s": 0},	# see mock_now()
}

lock = threading.Lock()
state = {}
imds_first = 0.0	# when the first IMDS request since the reset came


def reset():
    with lock:
        state["settings"] = copy.deepcopy(DEFAULTS)
        state["counts"] = {k: 0 for k in ("ecr", "ecr-public", "sts", "sso", "imds",
                                          "container", "connect", "bad_signature")}
        state["log"] = []
        state["gave_up_ms"] = {}	# service -> how long a client waited on "hang"
        state["temp"] = {}		# temporary key id -> (secret, token)
        state["arn"] = {}		# temporary key id -> its assumed role's ARN
        state["clock_checks"] = 0	# signatures whose date was checked


def settings(service):
    with lock:
        return copy.deepcopy(state["settings"].get(service, {}))


def merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v


def count(service):
    with lock:
        state["counts"][service] += 1
        return state["counts"][service]


def record(logdir, service, region, akid, status, host, via_proxy, n=None):
    """n: the call's number in its service's count, which ECR's passwords carry."""
    with lock:
        state["log"].append({"service": service, "region": region, "akid": akid,
                             "status": status, "ok": status == 200, "host": host,
                             "via_proxy": via_proxy, "n": n})
    with open(os.path.join(logdir, "calls.log"), "a") as f:
        f.write(f"{service} {region or '-'} {akid or '-'} {status}\n")


def new_temp():
    akid = "ASIA" + secrets.token_hex(8).upper()
    secret = secrets.token_urlsafe(30)
    token = "FwoGZXIvYXdzE" + secrets.token_urlsafe(60)
    with lock:
        state["temp"][akid] = (secret, token)
    return akid, secret, token


def key_of(akid):
    """(secret, token or None), or None for an unknown key id."""
    if akid in LONG_TERM:
        return LONG_TERM[akid], None
    with lock:
        return state["temp"].get(akid)


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SigError(Exception):
    def __init__(self, code, message, status=403):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def mock_now(check=False):
    """The service's clock: ours plus "skew_s", plus "step_s" more for each
    signature date checked before (a clock that runs away).  check: this is
    a signature's check, counted."""
    with lock:
        c = state["settings"]["clock"]
        n = state["clock_checks"]
        if check:
            state["clock_checks"] += 1
        else:
            n = max(n - 1, 0)	# the Date of the answer to the last check
        return time.time() + c.get("skew_s", 0) + c.get("step_s", 0) * n


def amz(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def verify_sigv4(method, path, headers, body, service):
    """Check a request's SigV4 signature with botocore; returns (akid, region)."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        raise SigError("MissingAuthenticationTokenException", "Missing Authentication Token")
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    try:
        akid, date, region, svc, term = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except (KeyError, ValueError):
        raise SigError("IncompleteSignatureException", "Authorization header requires "
                       "Credential, SignedHeaders and Signature")
    amz_date = headers.get("X-Amz-Date", "")
    if svc != service or term != "aws4_request" or not amz_date.startswith(date):
        raise SigError("InvalidSignatureException", f"Credential should be scoped to a "
                       f"valid region and service {service}, not '{svc}'")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        raise SigError("IncompleteSignatureException", "bad X-Amz-Date")
    now = mock_now(check=True)
    if when < now - 300:	# AWS's words, as ECR and STS send them
        raise SigError("InvalidSignatureException", f"Signature expired: {amz_date} is now "
                       f"earlier than {amz(now - 300)} ({amz(now)} - 5 min.)")
    if when > now + 300:
        raise SigError("InvalidSignatureException", f"Signature not yet current: {amz_date} "
                       f"is still later than {amz(now + 300)} ({amz(now)} + 5 min.)")
    key = key_of(akid)
    if key is None:
        raise SigError("UnrecognizedClientException",
                       "The security token included in the request is invalid.")
    secret, token = key
    sent_token = headers.get("X-Amz-Security-Token")
    if token != sent_token:
        raise SigError("UnrecognizedClientException",
                       "The security token included in the request is invalid.")
    for h in ("host", "x-amz-date"):
        if h not in signed:
            raise SigError("InvalidSignatureException", f"'{h}' must be a signed header")
    if token and "x-amz-security-token" not in signed:
        raise SigError("InvalidSignatureException", "x-amz-security-token must be signed")
    # Recompute, from the received request only, with botocore.
    host = headers.get("Host", "")
    kept = {}
    for name in signed:
        values = headers.get_all(name) or []
        kept[name] = ",".join(values)
    req = botocore.awsrequest.AWSRequest(method=method, url=f"https://{host}{path}",
                                         data=body, headers=kept)
    req.context["timestamp"] = amz_date
    signer = botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(akid, secret, token), service, region)
    canonical = signer.canonical_request(req)
    string_to_sign = signer.string_to_sign(req, canonical)
    if signer.signature(string_to_sign, req) != signature:
        count("bad_signature")
        raise SigError("InvalidSignatureException",
                       "The request signature we calculated does not match the signature "
                       "you provided. Check your AWS Secret Access Key and signing method. "
                       "Consult the service documentation for details.\n\nThe Canonical "
                       "String for this request should have been\n'" + canonical + "'")
    return akid, region


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-mock"
    via_proxy = False

    def log_message(self, fmt, *args):
        pass

    def date_time_string(self, timestamp=None):
        """The Date header: the service's clock (mock_now), as AWS sends it."""
        return email.utils.formatdate(mock_now() if timestamp is None else timestamp,
                                      usegmt=True)

    # --- plumbing -------------------------------------------------------

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def answer(self, status, data, ctype="application/json", extra=None):
        if isinstance(data, str):
            data = data.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", secrets.token_hex(16))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        return status

    def json_error(self, status, code, message):
        return self.answer(status, json.dumps({"__type": code, "message": message}),
                           "application/x-amz-json-1.1", {"x-amzn-ErrorType": code})

    def xml_error(self, status, code, message):
        return self.answer(status, f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type>'
                           f'<Code>{code}</Code><Message>{xml_escape(message)}</Message></Error>'
                           f'<RequestId>{secrets.token_hex(8)}</RequestId></ErrorResponse>',
                           "text/xml")

    def knobs(self, service, n=None):
        """Apply delay and "hang"; returns the "fail" setting, or for the
        Nth call the Nth of "sequence" (its last one past its end)."""
        s = settings(service)
        fail = s.get("fail")
        if s.get("sequence") and n:
            fail = s["sequence"][min(n, len(s["sequence"])) - 1]
        if s.get("delay_ms"):
            time.sleep(s["delay_ms"] / 1000)
        if fail == "hang":
            self.hang(service)
            return "hang"
        return fail

    def hang(self, service):
        """Answer nothing (120 s at most); note how long until the client
        gave up and closed, as "gave_up_ms" of the calls."""
        waited = mocktls.wait_for_close(self.connection)
        with lock:
            state["gave_up_ms"][service] = waited
        self.close_connection = True

    # --- routes ---------------------------------------------------------

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        data = self.body()
        if path.startswith("/__mock/"):
            return self.control(path, data)
        target = self.headers.get("X-Amz-Target")
        if target in (ECR_TARGET, PUBLIC_TARGET):
            return self.ecr(target == PUBLIC_TARGET, data)
        form = urllib.parse.parse_qs(data.decode("utf-8", "replace"))
        if "Action" in form:
            return self.sts(form, data)
        return self.json_error(400, "UnknownOperationException", "unknown operation")

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/__mock/calls":
            with lock:
                out = dict(state["counts"], log=state["log"], gave_up_ms=state["gave_up_ms"])
            return self.answer(200, json.dumps(out))
        if url.path == "/federation/credentials":
            return self.sso(urllib.parse.parse_qs(url.query))
        return self.answer(404, "not found", "text/plain")

    def control(self, path, data):
        if path == "/__mock/reset":
            reset()
        elif path == "/__mock/set":
            with lock:
                merge(state["settings"], json.loads(data or b"{}"))
        else:
            return self.answer(404, "no such control", "text/plain")
        return self.answer(200, "{}")

    def ecr(self, public, data):
        service = "ecr-public" if public else "ecr"
        n = count(service)
        akid = region = None
        status = 500
        try:
            try:
                akid, region = verify_sigv4("POST", urllib.parse.urlsplit(self.path).path,
                                            self.headers, data, service)
            except SigError as e:
                status = self.json_error(e.status, e.code, e.message)
                return
            if self.headers.get("Content-Type") != "application/x-amz-json-1.1":
                status = self.json_error(400, "SerializationException", "bad content type")
                return
            # credkit sends {}; the AWS SDKs may name the registries.
            try:
                req = json.loads(data)
                assert isinstance(req, dict) and set(req) <= {"registryIds"}
                assert all(isinstance(r, str) and len(r) == 12 and r.isdigit()
                           for r in req.get("registryIds", []))
            except (ValueError, AssertionError):
                status = self.json_error(400, "SerializationException", "bad body")
                return
            if public and region != "us-east-1":
                status = self.json_error(400, "InvalidSignatureException",
                                         "ECR Public is signed for us-east-1")
                return
            fail = self.knobs(service, n)
            if fail == "hang":
                return
            if fail in (500, "500"):
                status = self.json_error(500, "ServerException", "We encountered an internal error.")
                return
            if fail == "denied":
                status = self.json_error(400, "AccessDeniedException",
                                         f"User: arn:aws:iam::123456789012:user/ci is not "
                                         f"authorized to perform: {service}:GetAuthorizationToken "
                                         f"on resource: * because no identity-based policy "
                                         f"allows the {service}:GetAuthorizationToken action")
                return
            if fail == "throttle":
                status = self.json_error(400, "ThrottlingException", "Rate exceeded")
                return
            if fail == "garbage":
                status = self.answer(200, "<html>not json</html>", "text/html")
                return
            s = settings(service)
            password = f"ecrpw-{service}-{n}-{akid}"
            token = base64.b64encode(f"AWS:{password}".encode()).decode()
            expires = time.time() + s.get("expires_in", 43200)
            fmt = s.get("expires_format", "float")
            when = {"float": round(expires, 3), "int": int(expires),
                    "exp": float(f"{expires:.9e}"), "iso": iso(expires)}[fmt]
            item = {"authorizationToken": token, "expiresAt": when}
            if public:
                out = {"authorizationData": item}
            else:
                item["proxyEndpoint"] = f"https://123456789012.dkr.ecr.{region}.amazonaws.com"
                out = {"authorizationData": [item]}
            text = json.dumps(out)
            if fmt == "exp":	# json.dumps writes 1.7e+09 style only for some values
                text = text.replace(json.dumps(when), f"{expires:.9E}")
            status = self.answer(200, text, "application/x-amz-json-1.1")
        finally:
            record(self.server.logdir, service, region, akid, status,
                   self.headers.get("Host"), self.via_proxy, n)

    def sts_signed(self, data):
        """(key id, region, None) of a well-signed STS request; else (None,
        None, status) with STS's error sent."""
        try:
            akid, region = verify_sigv4("POST", "/", self.headers, data, "sts")
            return akid, region, None
        except SigError as e:
            code = "SignatureDoesNotMatch" if e.code == "InvalidSignatureException" \
                else "InvalidClientTokenId"
            return None, None, self.xml_error(403, code, e.message)

    def sts(self, form, data):
        n = count("sts")
        action = form.get("Action", [""])[0]
        akid = None
        region = None
        status = 500
        try:
            fail = self.knobs("sts")
            if fail == "hang":
                return
            if not (self.headers.get("Content-Type") or "").startswith(
                    "application/x-www-form-urlencoded"):
                status = self.xml_error(400, "InvalidParameterValue", "bad content type")
                return
            if form.get("Version", [""])[0] != "2011-06-15":
                status = self.xml_error(400, "InvalidAction", "bad version")
                return
            if action == "GetCallerIdentity":
                akid, region, refused = self.sts_signed(data)
                if refused:
                    status = refused
                    return
                if fail in (500, "500"):
                    status = self.xml_error(500, "InternalFailure", "internal error")
                    return
                with lock:
                    arn = state["arn"].get(akid, f"arn:aws:iam::123456789012:user/{akid}")
                user = "AIDA" + akid if akid in LONG_TERM else "AROA:" + arn.rsplit("/", 1)[-1]
                status = self.answer(200, f'<GetCallerIdentityResponse xmlns="{STS_NS}">'
                                     f'<GetCallerIdentityResult><Arn>{xml_escape(arn)}</Arn>'
                                     f'<UserId>{xml_escape(user)}</UserId>'
                                     f'<Account>123456789012</Account>'
                                     f'</GetCallerIdentityResult><ResponseMetadata><RequestId>'
                                     f'{secrets.token_hex(8)}</RequestId></ResponseMetadata>'
                                     f'</GetCallerIdentityResponse>', "text/xml")
                return
            role = form.get("RoleArn", [""])[0]
            if not form.get("RoleSessionName", [""])[0]:
                status = self.xml_error(400, "ValidationError", "RoleSessionName is required")
                return
            if action == "AssumeRole":
                akid, region, refused = self.sts_signed(data)
                if refused:
                    status = refused
                    return
            elif action == "AssumeRoleWithWebIdentity":
                if "Authorization" in self.headers:
                    status = self.xml_error(400, "InvalidParameterValue", "must not be signed")
                    return
                if form.get("WebIdentityToken", [""])[0] not in settings("web_identity_tokens"):
                    status = self.xml_error(400, "InvalidIdentityToken",
                                            "Couldn't retrieve verification key from your "
                                            "identity provider")
                    return
                # A token whose trust policy names one role (settings
                # "web_identity_roles"): any other role is refused, as STS
                # refuses a role whose trust policy does not name the token.
                bound = settings("web_identity_roles").get(form["WebIdentityToken"][0])
                if bound is not None and bound != role:
                    status = self.xml_error(403, "AccessDenied", "Not authorized to perform "
                                            "sts:AssumeRoleWithWebIdentity")
                    return
                akid = "web-identity"
            else:
                status = self.xml_error(400, "InvalidAction", f"unknown action {action}")
                return
            if fail in (500, "500"):
                status = self.xml_error(500, "InternalFailure", "internal error")
                return
            if fail == "denied" or settings("roles").get(role) == "denied":
                status = self.xml_error(403, "AccessDenied",
                                        f"User: arn:aws:iam::123456789012:user/ci is not "
                                        f"authorized to perform: sts:{action} on resource: {role}")
                return
            new, secret, token = new_temp()
            session = form.get("RoleSessionName", [""])[0]
            with lock:
                state["arn"][new] = ("arn:aws:sts::123456789012:assumed-role/"
                                     f"{role.rsplit('/', 1)[-1]}/{session}")
            result = (f"<Credentials><AccessKeyId>{new}</AccessKeyId>"
                      f"<SecretAccessKey>{xml_escape(secret)}</SecretAccessKey>"
                      f"<SessionToken>{xml_escape(token)}</SessionToken>"
                      f"<Expiration>{iso(time.time() + 3600)}</Expiration></Credentials>"
                      f"<AssumedRoleUser><Arn>{xml_escape(role)}/s{n}</Arn>"
                      f"<AssumedRoleId>AROA{n}:s</AssumedRoleId></AssumedRoleUser>")
            status = self.answer(200, f'<{action}Response xmlns="{STS_NS}"><{action}Result>'
                                 f'{result}</{action}Result><ResponseMetadata><RequestId>'
                                 f'{secrets.token_hex(8)}</RequestId></ResponseMetadata>'
                                 f'</{action}Response>', "text/xml")
        finally:
            record(self.server.logdir, "sts", region, akid, status, self.headers.get("Host"),
                   self.via_proxy)
            note_sts(self.server.logdir, action, form.get("RoleArn", [""])[0], akid, status)

    def sso(self, query):
        count("sso")
        status = 500
        try:
            fail = self.knobs("sso")
            if fail == "hang":
                return
            token = self.headers.get("x-amz-sso_bearer_token")
            if token not in settings("sso_tokens"):
                status = self.answer(401, json.dumps({"message": "Session token not found or invalid"}),
                                     extra={"x-amzn-ErrorType": "UnauthorizedException"})
                return
            if not query.get("account_id") or not query.get("role_name"):
                status = self.answer(400, json.dumps({"message": "account_id and role_name required"}))
                return
            new, secret, tok = new_temp()
            status = self.answer(200, json.dumps({"roleCredentials": {
                "accessKeyId": new, "secretAccessKey": secret, "sessionToken": tok,
                "expiration": int((time.time() + 3600) * 1000)}}))
        finally:
            record(self.server.logdir, "sso", None, None, status, self.headers.get("Host"),
                   self.via_proxy)


def note_sts(logdir, action, role, akid, status):
    """What STS was asked, for the tests of the chain's precedence: one line
    "ACTION ROLE_ARN AKID STATUS" a call in DIR/sts.log (AKID "web-identity"
    for AssumeRoleWithWebIdentity, which is not signed)."""
    with lock, open(os.path.join(logdir, "sts.log"), "a") as f:
        f.write(f"{action or '-'} {role or '-'} {akid or '-'} {status}\n")


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


class MetadataHandler(Handler):
    """Plain HTTP: IMDSv2 and the container endpoint."""
    tokens = set()

    def do_PUT(self):
        self.body()
        if urllib.parse.urlsplit(self.path).path != "/latest/api/token":
            return self.answer(404, "not found", "text/plain")
        count("imds")
        status = 500
        try:
            if self.knobs("imds") == "hang":
                return
            if settings("imds").get("token"):
                status = self.token_refused(settings("imds")["token"])
                return
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                status = self.answer(400, "", "text/plain")
                return
            tok = secrets.token_urlsafe(32)
            MetadataHandler.tokens.add(tok)
            status = self.answer(200, tok, "text/plain",
                                 {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        finally:
            record(self.server.logdir, "imds", None, None, status, self.headers.get("Host"), False)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/latest/"):
            return self.imds(path)
        return self.container()

    def imds(self, path):
        count("imds")
        status = 500
        try:
            if self.knobs("imds") == "hang":
                return
            if self.headers.get("X-aws-ec2-metadata-token") not in MetadataHandler.tokens \
                    and not self.v1_allowed():
                status = self.answer(401, "", "text/plain")
                return
            role = settings("imds").get("role")
            base = "/latest/meta-data/iam/security-credentials/"
            if path == base:
                status = self.answer(200, role, "text/plain")
            elif path == base + role:
                new, secret, tok = new_temp()
                status = self.answer(200, json.dumps({
                    "Code": "Success", "LastUpdated": iso(time.time()), "Type": "AWS-HMAC",
                    "AccessKeyId": new, "SecretAccessKey": secret, "Token": tok,
                    "Expiration": iso(time.time() + 21600)}), "text/plain")
            else:
                status = self.answer(404, "", "text/plain")
        finally:
            record(self.server.logdir, "imds", None, None, status, self.headers.get("Host"), False)

    def container(self):
        count("container")
        status = 500
        try:
            if self.knobs("container") == "hang":
                return
            want = settings("container_token")
            if want and self.headers.get("Authorization") != want:
                status = self.answer(401, json.dumps({"message": "unauthorized"}))
                return
            new, secret, tok = new_temp()
            status = self.answer(200, json.dumps({
                "AccessKeyId": new, "SecretAccessKey": secret, "Token": tok,
                "Expiration": iso(time.time() + 3600),
                "RoleArn": "arn:aws:iam::123456789012:role/task"}))
        finally:
            record(self.server.logdir, "container", None, None, status,
                   self.headers.get("Host"), False)

    # --- IMDSv1 and the token's refusals (settings "imds": "token", "v1") --

    def token_refused(self, mode):
        """The token PUT under "token": 403, 404 or 405 answers that status
        (an emulator, a proxy, IMDS turned off), "timeout" answers nothing
        (a hop limit of 1 drops the answer) until the client gives up, as
        gave_up_ms["imds-token"]."""
        if mode == "timeout":
            self.hang("imds-token")
            return 500
        return self.answer(int(mode), "", "text/plain")

    def v1_allowed(self):
        """Whether a GET without a token is answered (setting "v1", off by
        default as on an instance that requires IMDSv2); counted as
        "imds_v1"."""
        if "X-aws-ec2-metadata-token" in self.headers or not settings("imds").get("v1"):
            return False
        with lock:
            state["counts"]["imds_v1"] = state["counts"].get("imds_v1", 0) + 1
        return True

    def handle_one_request(self):
        """One request; for IMDS, gave_up_ms["imds-all"] is then how long
        from the first IMDS request since the reset to the end of this one
        (answered, or given up by the client): the whole probe on the mock's
        clock."""
        global imds_first
        start = time.monotonic()
        super().handle_one_request()
        if not self.raw_requestline or not getattr(self, "path", "").startswith("/latest/"):
            return
        with lock:
            if "imds-all" not in state["gave_up_ms"]:
                imds_first = start
            state["gave_up_ms"]["imds-all"] = round((time.monotonic() - imds_first) * 1000)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ProxyHandler(socketserver.BaseRequestHandler):
    """CONNECT, then TLS terminated here, then the HTTPS routes."""

    def handle(self):
        sock = self.request
        if mocktls.read_connect(sock) is None:
            return
        count("connect")
        try:
            tls = self.server.tls.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            return

        class Via(Handler):
            via_proxy = True
        Via(tls, self.client_address, self.server.https)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    reset()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.path.join(args.dir, "server.crt"), os.path.join(args.dir, "server.key"))

    https = Server(("127.0.0.1", 0), Handler)
    https.logdir = args.dir
    https.socket = tls.wrap_socket(https.socket, server_side=True)
    plain = Server(("127.0.0.1", 0), MetadataHandler)
    plain.logdir = args.dir
    proxy = socketserver.ThreadingTCPServer(("127.0.0.1", 0), ProxyHandler)
    proxy.daemon_threads = True
    proxy.tls, proxy.https = tls, https
    mocktls.serve((https, plain, proxy), args.dir)


if __name__ == "__main__":
    main()
