#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""botocore-oracle.py - botocore's SigV4 Authorization header for raw requests.

Usage: botocore-oracle.py [--credentials FILE] [--debug] REGION SERVICE REQ...
       (more REGION SERVICE REQ triples may follow the first)

Each REQ is a raw HTTP request in the AWS test suite's form (see README.md):
a request line, "Name: value" header lines (a line starting with a space or
a tab continues the one before), then optionally an empty line and the
body.  Its Host header is the host signed; its X-Amz-Date header
(YYYYMMDDTHHMMSSZ) is the signing time; its X-Amz-Security-Token header,
if any, is the session token, which botocore adds back and signs.

For each triple, prints one line: the Authorization header's value as
botocore's SigV4Auth computes it.  The credentials are the suite's
(AKIDEXAMPLE and its example secret key) unless FILE holds two lines,
the access key id and the secret access key.  --debug shows botocore's
canonical request and string to sign on stderr.

Run it with /usr/bin/python3 and Debian's python3-botocore.
"""
import datetime
import logging
import sys
import types

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SUITE_KEY_ID = "AKIDEXAMPLE"
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TIMESTAMP = "%Y%m%dT%H%M%SZ"


def parse_request(raw):
    """(method, target, [(name, value)], body) of a raw request."""
    head, sep, body = raw.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    method, _, rest = lines[0].partition(" ")
    target = rest.rsplit(" ", 1)[0]
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"not a header line: {line!r}")
        headers.append((name, value.strip(" \t")))
    return method, target, headers, body if sep else b""


def fixed_clock(stamp):
    """A stand-in for botocore.auth's datetime module, stopped at stamp."""
    when = datetime.datetime.strptime(stamp, TIMESTAMP)

    class Stopped(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

        @classmethod
        def now(cls, tz=None):
            return when if tz is None else when.replace(tzinfo=tz)

    clock = types.SimpleNamespace(**vars(datetime))
    clock.datetime = Stopped
    return clock


def authorization(path, key_id, secret, region, service):
    with open(path, "rb") as f:
        method, target, headers, body = parse_request(f.read())
    host = stamp = token = None
    rest = []
    for name, value in headers:
        lname = name.lower()
        if lname == "host":
            host = value
        elif lname == "x-amz-date":
            stamp = value
        elif lname == "x-amz-security-token":
            token = value
        else:
            rest.append((name, value))
    if not host or not stamp:
        raise ValueError(f"{path}: a request needs Host and X-Amz-Date headers")
    request = AWSRequest(method=method, url=f"https://{host}{target}",
                         data=body)
    for name, value in rest:
        request.headers[name] = value  # adds: repeated headers stay repeated
    botocore.auth.datetime = fixed_clock(stamp)
    signer = botocore.auth.SigV4Auth(Credentials(key_id, secret, token),
                                     service, region)
    signer.add_auth(request)
    return request.headers["Authorization"]


def main(argv):
    key_id, secret = SUITE_KEY_ID, SUITE_SECRET
    args = argv[1:]
    if args[:1] == ["--credentials"] and len(args) > 1:
        with open(args[1]) as f:
            key_id, secret = f.read().split("\n")[:2]
        args = args[2:]
    if args[:1] == ["--debug"]:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        logging.getLogger("botocore.auth").setLevel(logging.DEBUG)
        args = args[1:]
    if not args or len(args) % 3:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    for i in range(0, len(args), 3):
        region, service, path = args[i:i + 3]
        print(authorization(path, key_id, secret, region, service))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
