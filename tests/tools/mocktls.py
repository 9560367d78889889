# SPDX-License-Identifier: MIT
"""mocktls.py - what the local mocks of credkit's tests share
(aws-mock.py, github-mock.py): serving listeners until told to stop,
leaving a client without an answer, and the CONNECT request of a proxy
that terminates TLS itself.
"""
import os
import select
import signal
import ssl
import threading
import time


def serve(servers, dirname):
    """Serve each of servers in a thread of its own, write their ports to
    DIRNAME/ports as one line (in that order) once they listen, then wait
    for SIGTERM or SIGINT."""
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = os.path.join(dirname, "ports.tmp")
    with open(tmp, "w") as f:
        f.write(" ".join(str(s.server_address[1]) for s in servers) + "\n")
    os.rename(tmp, os.path.join(dirname, "ports"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


def wait_for_close(sock, limit=120):
    """Answer nothing on sock until the client closes it (limit seconds at
    most); returns how long that took, in ms."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        readable, _, _ = select.select([sock], [], [], 0.01)
        try:
            # The client sends nothing more on this connection: what is
            # readable is its close (the connection is dropped).
            if readable and not sock.recv(1):
                break
        except (OSError, ssl.SSLError):
            break
    return round((time.monotonic() - start) * 1000)


def read_connect(sock):
    """Read a proxy request's head from sock (30 s at most a read).  A
    CONNECT is answered 200 and its target ("host:port") returned, for the
    caller to wrap sock in TLS; anything else gets 501, and None."""
    sock.settimeout(30)
    head = b""
    while b"\r\n\r\n" not in head:
        try:
            chunk = sock.recv(4096)
        except OSError:
            return None
        if not chunk or len(head) > 65536:
            return None
        head += chunk
    line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(line) < 2 or line[0] != "CONNECT":
        sock.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n")
        return None
    sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    return line[1]
