#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""fault-server.py - token endpoints that misbehave, for t-faults-token.sh.

    /usr/bin/python3 tests/tools/fault-server.py --dir DIR

Makes its own certificates in DIR (ca.crt: the CA a client is told to
trust), then listens on 127.0.0.1, one free port per fault, and writes
DIR/ports, one "MODE PORT" line each, once they all listen.

Until DIR/armed exists, every port answers well, with a certificate for
127.0.0.1 of that CA: ECR's GetAuthorizationToken (a token of --expires-in
seconds, password "faultpw-MODE-N" for the Nth request of MODE), STS's
AssumeRole (for a body with Action=AssumeRole) or, for a path ending in
/user, GitHub's answer; so that a client caches a token of
the very endpoint that then fails (credkit's cache keys hold the
endpoint).  Once DIR/armed exists (looked for every 20 ms; DIR/armed.done
says it was seen), each port serves its fault, for any method and path:

  refused    the port closed: connections are refused
  reset      the head and 40 bytes of a 400-byte body, then a TCP reset
  truncated  the same, then a clean close: the body ends short
  500        HTTP 500 with an AWS-style JSON error
  403        HTTP 403 with an AWS-style JSON error
  429        HTTP 429 with Retry-After: 30 (to a path ending in /user, the
             date 30 s on: its other form)
  429once    HTTP 429 with Retry-After: 1 on the odd requests since armed,
             a good answer on the even ones (ECR's JSON, or GitHub's /user)
  garbage    HTTP 200 with 64 bytes of binary noise
  slowloris  HTTP 200 and a 400-byte body, one byte a second
  hang       the request read, then nothing
  badname    TLS with a certificate of that CA for other.invalid only
  expired    TLS with a certificate of that CA that expired yesterday
  untrusted  TLS with a certificate for 127.0.0.1 of another CA

A mode that holds the client (slowloris, hang) writes "MODE MS" to
DIR/held.log once the client gave up and closed: how long it held on.
"""
import argparse
import base64
import datetime
import email.utils
import http.server
import ipaddress
import json
import os
import signal
import socket
import socketserver
import ssl
import struct
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import mocktls

MODES = ("refused", "reset", "truncated", "500", "403", "429", "429once", "garbage", "slowloris",
         "hang", "badname", "expired", "untrusted")
log_lock = threading.Lock()


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca_key, ca_cert, sans, days_from, days_to):
    """A server certificate for sans (IP or DNS names), valid from now +
    days_from to now + days_to."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    names = []
    for s in sans:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(s)))
        except ValueError:
            names.append(x509.DNSName(s))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, sans[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days_from))
            .not_valid_after(now + datetime.timedelta(days=days_to))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def context(dirname, name, key, cert):
    """A server TLS context for key and cert, written to DIR/NAME.{crt,key}."""
    crt, pem = os.path.join(dirname, name + ".crt"), os.path.join(dirname, name + ".key")
    with open(crt, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(pem, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(crt, pem)
    return tls


STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def good_answer(path, body, password, expires_in):
    """A well-formed answer: GitHub's /user, STS's AssumeRole (keys of an
    hour), else ECR's GetAuthorizationToken."""
    if b"Action=AssumeRole" in body:
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        return (f'<AssumeRoleResponse xmlns="{STS_NS}"><AssumeRoleResult><Credentials>'
                f'<AccessKeyId>ASIAFAULTEXAMPLE0001</AccessKeyId>'
                f'<SecretAccessKey>faultsecret</SecretAccessKey>'
                f'<SessionToken>faultsession</SessionToken>'
                f'<Expiration>{exp.strftime("%Y-%m-%dT%H:%M:%SZ")}</Expiration>'
                f'</Credentials></AssumeRoleResult></AssumeRoleResponse>', {})
    if path.endswith("/user"):
        return (json.dumps({"login": "octo-fault", "id": 1, "type": "User"}),
                {"X-OAuth-Scopes": "read:packages"})
    token = base64.b64encode(f"AWS:{password}".encode()).decode()
    return (json.dumps({"authorizationData": [{"authorizationToken": token,
                                               "expiresAt": time.time() + expires_in}]}), {})


def armed(dirname):
    return os.path.exists(os.path.join(dirname, "armed"))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-server"

    def log_message(self, fmt, *args):
        pass

    def head(self, status, length, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()

    def answer(self, status, body, extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.head(status, len(data), extra)
        self.wfile.write(data)

    def held(self, start):
        with log_lock, open(os.path.join(self.server.logdir, "held.log"), "a") as f:
            f.write(f"{self.server.mode} {round((time.monotonic() - start) * 1000)}\n")

    def fault(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        mode = self.server.mode
        with log_lock:
            self.server.requests += 1
            nth = self.server.requests
        if not armed(self.server.logdir):
            return self.answer(200, *good_answer(self.path, body, f"faultpw-{mode}-{nth}",
                                                 self.server.expires_in))
        with log_lock:
            self.server.faults += 1
            nth = self.server.faults	# 429once: odd or even since armed
        error = json.dumps({"__type": "ServerException", "message": f"fault {mode}"})
        if mode in ("reset", "truncated"):
            self.head(200, 400)
            self.wfile.write(b'{"authorizationData": [{"authorizationToken": "QVdT')
            self.wfile.flush()
            if mode == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            self.close_connection = True
        elif mode in ("500", "403"):
            self.answer(int(mode), error, {"x-amzn-ErrorType": "ServerException"})
        elif mode == "429" or (mode == "429once" and nth % 2):
            # Seconds, or (to GitHub's /user) the HTTP-date form, 30 s on.
            wait = "30" if mode == "429" else "1"
            if mode == "429" and self.path.endswith("/user"):
                wait = email.utils.formatdate(time.time() + 30, usegmt=True)
            self.answer(429, json.dumps({"__type": "ThrottlingException",
                                         "message": "Rate exceeded"}), {"Retry-After": wait})
        elif mode == "429once":
            self.answer(200, *good_answer(self.path, body, "faultpw-429once", 43200))
        elif mode == "garbage":
            self.answer(200, bytes(range(200, 256)) + b"\x00\x01\x02\x03\x04\x05\x06\x07")
        elif mode == "slowloris":
            start = time.monotonic()
            self.head(200, 400)
            try:
                for _ in range(400):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    # A second between bytes, or less when the client closed.
                    if mocktls.wait_for_close(self.connection, 1) < 990:
                        break
            except OSError:
                pass
            self.held(start)
            self.close_connection = True
        elif mode == "hang":
            start = time.monotonic()
            mocktls.wait_for_close(self.connection)
            self.held(start)
            self.close_connection = True

    do_GET = do_POST = do_PUT = fault


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """The handshake in the request's thread: a slow client holds up no other."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass	# a client that hung up, as the faults want

    def finish_request(self, request, client_address):
        request.settimeout(130)
        try:
            tls = (self.tls if armed(self.logdir) else self.good).wrap_socket(
                request, server_side=True)
        except (ssl.SSLError, OSError):
            return	# the TLS modes end here: the client refused us
        self.RequestHandlerClass(tls, client_address, self)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--expires-in", type=float, default=43200)
    args = ap.parse_args()
    ca_key, ca = make_ca("credkit fault CA")
    other_key, other = make_ca("credkit untrusted CA")
    with open(os.path.join(args.dir, "ca.crt"), "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    good = context(args.dir, "good", *make_leaf(ca_key, ca, ["127.0.0.1"], -1, 2))
    tls = {
        "badname": context(args.dir, "badname",
                           *make_leaf(ca_key, ca, ["other.invalid"], -1, 2)),
        "expired": context(args.dir, "expired", *make_leaf(ca_key, ca, ["127.0.0.1"], -3, -1)),
        "untrusted": context(args.dir, "untrusted",
                             *make_leaf(other_key, other, ["127.0.0.1"], -1, 2)),
    }
    servers = []
    for mode in MODES:
        s = Server(("127.0.0.1", 0), Handler)
        s.mode, s.logdir, s.requests, s.tls = mode, args.dir, 0, tls.get(mode, good)
        s.good, s.expires_in, s.faults = good, args.expires_in, 0
        servers.append(s)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = os.path.join(args.dir, "ports.tmp")
    with open(tmp, "w") as f:
        f.writelines(f"{s.mode} {s.server_address[1]}\n" for s in servers)
    os.rename(tmp, os.path.join(args.dir, "ports"))
    while not armed(args.dir):
        time.sleep(0.02)
    refused = servers[MODES.index("refused")]
    refused.shutdown()
    refused.server_close()
    open(os.path.join(args.dir, "armed.done"), "w").close()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


if __name__ == "__main__":
    main()
