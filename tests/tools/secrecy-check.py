#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""secrecy-check.py - where marker secrets went, from an strace -ff log.

    secrecy-check.py [options] -- LOG MARKER...

LOG is the prefix strace -ff -o LOG wrote (LOG.PID, one file a process;
traced with -v -yy -s, see tests/t-secrecy.sh).  A MARKER is a secret the
test planted (after --: one may start with a dash); each is looked for as
it is, in every execve's argv and environment, in the name of every key
added to or searched for in the kernel keyring (its payload may hold one:
the keyring is a store), and in every byte written (write, writev,
pwrite*, send*), the writes of one process to one file, pipe or socket put
end to end so that a secret split over two calls is found.  Prints one line a finding, and
"clean" or "N findings"; exits 1 when anything is not allowed.

What is allowed (each one a flag, given by the test for the call at hand):

  --answer PATH   the traced program (the first process) may write a marker
                  on its fd 1 when that is PATH: the protocol's answer of a
                  get (the test checks it is one line)
  --to PROGRAM    a credkit program (docker-credential-*) may write a marker
                  on a pipe made in the traced tree whose read end a process
                  put on its stdin and then exec'd PROGRAM (a basename; may
                  be repeated); and a credkit program may answer on its own
                  stdout when that is a pipe made in the tree (a store's
                  helper answering its client)
  --bus           docker-credential-secretservice may write a marker on a
                  UNIX stream socket (the session bus: a plain session)
  --http-to ADDR  a credkit program may write a marker on a TCP socket to
                  ADDR (127.0.0.1:PORT): the container endpoint, which AWS
                  has asked over plain http, with its token, on loopback
  --env-to PROGRAM  a marker in the traced program's own environment may
                  stay in the environment of PROGRAM (a basename; may be
                  repeated): the front's minting program, which reads it
                  from there, and a credential_process, which the AWS SDKs
                  run with the environment they were given

And each credkit program, from its exec, makes itself undumpable with no
core size (prctl, prlimit64: traced too) before anything else traced.

Programs that are not credkit's (pass, gpg, gh, a credential_process) may
pass a marker between themselves on pipes made in the tree, and answer on
their stdout, when that is a pipe made in the tree: that is their own
business, not a leak of ours.  None of them may have it in argv, nor in the
environment unless it was in the traced program's (and --env-to names it);
nothing may write it to
a file, a terminal, a socket, or a pipe made outside the tree.
"""
import argparse
import glob
import re
import sys

STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
CALL = re.compile(r'^(\w+)\((.*)$')
FD = re.compile(r'^(\d+)<(.*?)>(?:,|$)')
PIPE = re.compile(r'pipe:\[(\d+)\]')
WRITES = {"write", "writev", "pwrite64", "pwritev", "pwritev2", "send", "sendto",
          "sendmsg", "sendmmsg"}


def unescape(s):
    """The bytes of one strace string literal."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = s[i + 1]
        simple = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "\\": 92, '"': 34}
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            j = i + 1
            while j < len(s) and j < i + 4 and s[j] in "01234567":
                j += 1
            out.append(int(s[i + 1:j], 8) & 0xff)
            i = j
    return bytes(out)


def is_ours(path):
    return "docker-credential-" in path.rsplit("/", 1)[-1]


def base(path):
    return path.rsplit("/", 1)[-1]


class Proc:
    def __init__(self, pid):
        self.pid = pid
        self.events = []	# (syscall, the rest of its line), in order


def load(prefix):
    procs = {}
    for name in glob.glob(prefix + ".*"):
        pid = name.rsplit(".", 1)[-1]
        if not pid.isdigit():
            continue
        p = procs.setdefault(int(pid), Proc(int(pid)))
        with open(name, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = CALL.match(line.rstrip("\n"))
                if m:
                    p.events.append((m.group(1), m.group(2)))
    return procs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--answer")
    ap.add_argument("--to", action="append", default=[])
    ap.add_argument("--bus", action="store_true")
    ap.add_argument("--env-to", action="append", default=[])
    ap.add_argument("--http-to")
    ap.add_argument("log")
    ap.add_argument("markers", nargs="+")
    a = ap.parse_args()
    markers = [m.encode() for m in a.markers if m]
    procs = load(a.log)
    if not procs:
        print("no strace log at %s" % a.log)
        return 1

    parent = {}
    made = set()		# pipes made in the tree
    stdin_of = {}		# pipe -> processes that put it on fd 0
    stdout_of = {}		# pipe -> processes that put it on fd 1
    for p in procs.values():
        for call, rest in p.events:
            if call in ("clone", "clone3", "fork", "vfork"):
                m = re.search(r"= (\d+)$", rest)
                if m:
                    parent[int(m.group(1))] = p.pid
            elif call in ("pipe", "pipe2"):
                made.update(PIPE.findall(rest))
            elif call in ("dup2", "dup3"):
                m = re.match(r"\d+<pipe:\[(\d+)\]>, (\d+)", rest)
                if m and m.group(2) == "0":
                    stdin_of.setdefault(m.group(1), set()).add(p.pid)
                if m and m.group(2) == "1":
                    stdout_of.setdefault(m.group(1), set()).add(p.pid)
    roots = [pid for pid in procs if pid not in parent]
    root = min(roots, key=lambda pid: (len(procs[pid].events) == 0, pid))

    # What each process ran, event by event: its parent's program at fork.
    first_prog = {}

    def exec_path(rest):
        m = STRING.match(rest)
        return m.group(1) if m and rest.rstrip().endswith("= 0") else None

    def programs(pid):
        """The program of pid before each of its events."""
        if pid in first_prog:
            return first_prog[pid]
        if pid in parent and parent[pid] in procs:
            # The parent's program when it forked: its last exec before the clone.
            pp = procs[parent[pid]]
            prog = programs(pp.pid)[0]
            for (call, rest), before in zip(pp.events, programs(pp.pid)[1]):
                if call in ("clone", "clone3", "fork", "vfork") and \
                        rest.endswith("= %d" % pid):
                    prog = before
                    break
        else:
            prog = "?"
        seq = []
        cur = prog
        for call, rest in procs[pid].events:
            seq.append(cur)
            if call in ("execve", "execveat"):
                cur = exec_path(rest) or cur
        first_prog[pid] = (prog, seq)
        return first_prog[pid]

    # Which program a process exec'd after putting pipe N on its stdin.
    def reader_programs(n):
        out = set()
        for pid in stdin_of.get(n, ()):
            seen = False
            for call, rest in procs[pid].events:
                if call in ("dup2", "dup3") and re.match(r"\d+<pipe:\[%s\]>, 0" % n, rest):
                    seen = True
                elif seen and call in ("execve", "execveat") and exec_path(rest):
                    out.add(base(exec_path(rest)))
                    break
        return out

    root_env = b""
    for call, rest in procs[root].events:
        if call == "execve":
            root_env = rest.encode()
            break

    findings = []
    bad = 0

    def note(ok, text):
        nonlocal bad
        findings.append(("allowed: " if ok else "LEAK: ") + text)
        if not ok:
            bad += 1

    streams = {}
    for pid, p in sorted(procs.items()):
        progs = programs(pid)[1]
        # Each credkit program makes itself undumpable with no core size
        # before it does anything else that is traced (it may hold a secret
        # from its environment on, and exec resets the dumpable flag).
        image, core, dump = None, True, True
        for (call, rest), prog in zip(p.events, progs):
            if call in ("prlimit64", "setrlimit"):
                if "RLIMIT_CORE" in rest and "rlim_cur=0, rlim_max=0" in rest:
                    core = True
                continue
            if call == "prctl":
                if re.match(r"PR_SET_DUMPABLE, (SUID_DUMP_DISABLE|0)\)", rest):
                    dump = True
                continue
            if image and not (core and dump):
                note(False, "pid %d (%s) %s before it made itself undumpable with no core "
                     "size" % (pid, base(image), call))
                image = None
            if call in ("execve", "execveat") and exec_path(rest):
                image = exec_path(rest) if is_ours(exec_path(rest)) else None
                core = dump = image is None
            if call in ("execve", "execveat"):
                path = STRING.match(rest).group(1) if STRING.match(rest) else "?"
                # argv is the first [...], the environment the second.
                arr = re.match(r'"(?:[^"\\]|\\.)*", (\[.*?\]|0x[0-9a-f]+|NULL), (.*)$', rest)
                argv = arr.group(1) if arr else rest
                env = arr.group(2) if arr else ""
                own = pid == root and call == "execve" and prog == "?"
                for mk in markers:
                    if mk in unescape_all(argv):
                        what = "pid %d execs %s with %s in argv" % (pid, path, mk.decode())
                        note(own, what + (" (the test's command)" if own else ""))
                    if mk in unescape_all(env):
                        inherited = mk in unescape_all(root_env.decode())
                        what = "pid %d execs %s with %s in its environment" % (
                            pid, path, mk.decode())
                        if own:
                            note(True, what + " (the test's env)")
                        elif inherited and base(path) in a.env_to:
                            note(True, what + " (the env given, to %s)" % base(path))
                        else:
                            note(False, what)
            elif call == "add_key" or (call == "keyctl" and
                                        rest.startswith(("KEYCTL_SEARCH", "KEYCTL_UPDATE"))):
                # A key's description is for all of the user's processes to
                # see (/proc/keys); its payload is the kernel keyring's store.
                strs = [unescape(x) for x in STRING.findall(rest)]
                desc = strs[1] if call == "add_key" and len(strs) > 1 else \
                    strs[1] if rest.startswith("KEYCTL_SEARCH") and len(strs) > 1 else b""
                payload = b"".join(strs[2:]) if call == "add_key" else \
                    b"".join(strs) if rest.startswith("KEYCTL_UPDATE") else b""
                for mk in markers:
                    if mk in desc:
                        note(False, "pid %d (%s) names a key with %s" % (pid, base(prog),
                                                                       mk.decode()))
                    if mk in payload:
                        note(is_ours(prog), "pid %d (%s) puts %s in a key (the kernel "
                             "keyring)" % (pid, base(prog), mk.decode()))
            elif call in WRITES:
                m = FD.match(rest)
                if not m:
                    continue
                fd, target = m.group(1), m.group(2)
                data = b"".join(unescape(s) for s in STRING.findall(rest[m.end():]))
                key = (pid, prog, fd, target)
                streams[key] = streams.get(key, b"") + data

    for (pid, prog, fd, target), data in sorted(streams.items()):
        for mk in markers:
            if mk not in data:
                continue
            what = "pid %d (%s) writes %s on fd %s, %s" % (pid, base(prog), mk.decode(), fd,
                                                        target)
            pipe = PIPE.fullmatch(target)
            ok = False
            if pid == root and fd == "1" and a.answer and target == a.answer:
                ok = True
                what += " (the answer)"
            elif pipe and pipe.group(1) in made:
                n = pipe.group(1)
                readers = reader_programs(n)
                if is_ours(prog):
                    if readers & set(a.to):
                        ok = True
                        what += " (to %s's stdin)" % ",".join(sorted(readers))
                    elif pid in stdout_of.get(n, ()) and fd == "1":
                        ok = True
                        what += " (its answer, to its parent)"
                    else:
                        what += " (read by %s)" % (",".join(sorted(readers)) or "no child's stdin")
                else:
                    ok = True
                    what += " (inside %s, read by %s)" % (base(prog),
                                                        ",".join(sorted(readers)) or "its parent")
            elif a.http_to and is_ours(prog) and target.startswith("TCP:") and \
                    target.endswith("->%s]" % a.http_to):
                ok = True
                what += " (the container endpoint, over http)"
            elif a.bus and base(prog) == "docker-credential-secretservice" and \
                    target.startswith("UNIX-STREAM:"):
                ok = True
                what += " (the session bus, a plain session)"
            note(ok, what)

    for f in findings:
        print(f)
    print("clean" if not bad else "%d findings" % bad)
    return 1 if bad else 0


def unescape_all(text):
    return b"".join(unescape(s) for s in STRING.findall(text))


if __name__ == "__main__":
    sys.exit(main())
