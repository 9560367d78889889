#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""record-proxy.py - a proxy that serves nothing and writes down who came.

    /usr/bin/python3 tests/tools/record-proxy.py DIR

Listens on 127.0.0.1 on a free port, written to DIR/port once it listens.
Each request it receives (CONNECT host:port, GET http://..., anything) is
appended as its request line, and whether it carried an Authorization
header, to DIR/requests.log; then it answers 502 and closes.  For tests
that check a client never goes through a proxy: the log stays empty.
"""
import os
import socketserver
import sys
import threading


class Recorder(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(10)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
        except OSError:
            pass
        if not head:
            return
        lines = head.decode("latin-1").split("\r\n")
        auth = any(h.lower().startswith("authorization:") for h in lines[1:])
        with self.server.log_lock, open(self.server.log, "a") as f:
            f.write(f"{lines[0]}{' (with Authorization)' if auth else ''}\n")
        try:
            sock.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
        except OSError:
            pass


def main():
    out = sys.argv[1]
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    server.log = os.path.join(out, "requests.log")
    server.log_lock = threading.Lock()
    open(server.log, "w").close()
    tmp = os.path.join(out, "port.tmp")
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, os.path.join(out, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
