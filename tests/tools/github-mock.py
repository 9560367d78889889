#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""github-mock.py - a local fake of GitHub's REST API (GET /user) for
docker-credential-ghcr's doctor --online.

    /usr/bin/python3 tests/tools/github-mock.py --dir DIR

DIR holds ca.crt, server.crt and server.key (t-ghcr-online.sh makes them;
the server certificate names 127.0.0.1 and the real API hosts the tests
reach through the proxy).  Two listeners on 127.0.0.1, each on a free port,
written to DIR/ports as "HTTPS_PORT PROXY_PORT" once they listen:

  HTTPS  the API: GET /user (github.com, GHE.com) and GET /api/v3/user
         (Enterprise Server)
  proxy  a CONNECT proxy that terminates TLS itself with server.crt and
         serves the same routes, so that a client with HTTPS_PROXY reaches
         this mock under the real names (api.github.com, ...)

Every request is checked as GitHub would check it, and a failure gets the
answer GitHub gives (and a line in DIR/errors.log): the method and path, an
Authorization header with the "token" (or "Bearer") scheme, the media type
application/vnd.github+json in Accept, a User-Agent (GitHub refuses a
request without one: 403), X-GitHub-Api-Version 2022-11-28 when sent.
Then the token decides (TOKENS below; they are fake): a classic token's
answer has X-OAuth-Scopes, a fine-grained one's none, an installation
token gets 403, an unknown one 401, and HANG_TOKEN an answer that never
comes (until the client gives up: how long it waited goes to
DIR/hang.log, in ms).  Each request is one line of DIR/requests.log:
"VIA HOST PATH LOGIN STATUS", VIA "direct" or "proxy:CONNECT-TARGET".
"""
import argparse
import http.server
import json
import os
import socketserver
import ssl
import threading
import urllib.parse

import mocktls

# token -> (login, X-OAuth-Scopes or None for none at all, status)
TOKENS = {
    "ghp_credkitTestReadPackages00000000000001": ("octo-reader", "read:packages, repo", 200),
    "gho_credkitTestNoPackages000000000000002": ("octo-gh", "gist, read:org, repo", 200),
    "ghp_credkitTestWritePackages0000000000003": ("octo-writer", "write:packages", 200),
    "ghp_credkitTestNoScopes00000000000000004": ("octo-bare", "", 200),
    "github_pat_11CREDKITTEST0000000005_fineGrainedTokenForCredkitTestsOnly000000000000005":
        ("octo-fine", None, 200),
    "ghs_credkitTestInstallation000000000006": (None, None, 403),
    "ghu_credkitTestAppUser00000000000000009": ("octo-app", None, 200),
}
HANG_TOKEN = "ghp_credkitTestHang000000000000000000007"
API_VERSION = "2022-11-28"
PATHS = ("/user", "/api/v3/user")

log_lock = threading.Lock()


def note(logdir, name, line):
    with log_lock, open(os.path.join(logdir, name), "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "github-mock"
    via = "direct"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, doc, headers=None, login="-"):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        note(self.server.logdir, "requests.log",
             f"{self.via} {self.headers.get('Host', '-')} {self.path} {login} {status}")

    def refuse(self, status, message, why):
        note(self.server.logdir, "errors.log", f"{self.path}: {why}")
        self.answer(status, {"message": message,
                             "documentation_url": "https://docs.github.com/rest"})

    def hang(self):
        """Answer nothing until the client gives up; note how long it waited."""
        note(self.server.logdir, "hang.log", str(mocktls.wait_for_close(self.connection)))
        self.close_connection = True

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path not in PATHS:
            return self.refuse(404, "Not Found", f"no such route {path}")
        if not self.headers.get("User-Agent"):
            return self.refuse(403, "Request forbidden by administrative rules. Please make "
                               "sure your request has a User-Agent header", "no User-Agent")
        accept = self.headers.get("Accept", "")
        if "application/vnd.github+json" not in accept:
            return self.refuse(415, "Unsupported media type", f"Accept {accept!r}")
        version = self.headers.get("X-GitHub-Api-Version")
        if version is not None and version != API_VERSION:
            return self.refuse(400, f"API version {version} is not supported.",
                               f"X-GitHub-Api-Version {version!r}")
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token:
            return self.refuse(401, "Requires authentication",
                               f"Authorization scheme {scheme!r}")
        if token == HANG_TOKEN:
            return self.hang()
        login, scopes, status = TOKENS.get(token, (None, None, 401))
        if status == 401:
            return self.answer(401, {"message": "Bad credentials",
                                     "documentation_url": "https://docs.github.com/rest",
                                     "status": "401"})
        if status == 403:
            return self.answer(403, {"message": "Resource not accessible by integration",
                                     "documentation_url": "https://docs.github.com/rest",
                                     "status": "403"})
        headers = {} if scopes is None else {"X-OAuth-Scopes": scopes,
                                             "X-Accepted-OAuth-Scopes": ""}
        return self.answer(200, {"login": login, "id": 1, "type": "User"}, headers, login)

    def do_POST(self):
        self.refuse(404, "Not Found", f"POST {self.path}")


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """The handshake in the request's thread: a slow client holds up no other."""
    daemon_threads = True
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            tls = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(tls, client_address, self)


class ProxyHandler(socketserver.BaseRequestHandler):
    """CONNECT, then TLS terminated here, then the API's routes."""

    def handle(self):
        sock = self.request
        target = mocktls.read_connect(sock)
        if target is None:
            return
        note(self.server.logdir, "connect.log", target)
        try:
            tls = self.server.tls.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            return

        class Via(Handler):
            via = f"proxy:{target}"
        Via(tls, self.client_address, self.server)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.path.join(args.dir, "server.crt"),
                        os.path.join(args.dir, "server.key"))
    api = TLSServer(("127.0.0.1", 0), Handler)
    proxy = socketserver.ThreadingTCPServer(("127.0.0.1", 0), ProxyHandler)
    proxy.daemon_threads = True
    for s in (api, proxy):
        s.tls, s.logdir = tls, args.dir
    mocktls.serve((api, proxy), args.dir)


if __name__ == "__main__":
    main()
