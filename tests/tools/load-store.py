#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""load-store.py - a storage helper under load, and what it left behind.

    /usr/bin/python3 tests/tools/load-store.py NAME HELPER DIR \\
        [--procs 64] [--registries 16] [--seconds 8] [--call-timeout 60] \\
        [--transient REGEX] [--min-calls 5]

Forks PROCS workers.  For SECONDS each picks at random one of REGISTRIES
servers and one verb (store, get, list, erase) and runs HELPER with it,
each call bounded by CALL_TIMEOUT (its process group killed then), and
logs every call: verb, server, what it stored or answered, its status and
when it started and ended (CLOCK_MONOTONIC, which every process shares).
Each store writes a pair that no other store writes: username uW.N and
secret sW.N-<random>, W the worker and N its call, so that an answer
names the one store it came from, or none.  Then it checks, printing one
TAP line per rule, named "NAME: ...", and the counts of each verb:

  hung      no call ran into CALL_TIMEOUT, and every worker ended within
            SECONDS + CALL_TIMEOUT + 30 s, with exit status 0;
  ran       each verb made at least MIN_CALLS calls, and MIN_CALLS stores
            and MIN_CALLS erases succeeded (else the rules below hold of
            nothing); transient failures are under a tenth of the calls;
  verbs     every call succeeded: store and erase exit 0 with nothing on
            stdout, get answers a pair or exits 1 with the not-found text,
            list answers a JSON object; except the helper's documented
            transient failures, exit 1 with a line matching REGEX (a lock
            waited for too long), which are counted apart and taken to
            have changed nothing (so a store of them that wrote is a pair
            no store wrote, below);
  whole     every pair get answered, and every username list showed, is
            one that a store for that server wrote, username and secret of
            the same store;
  fresh     no get or list answered a stale state: not the pair of a store
            S when another write W to the server started after S ended and
            ended before the reader started; not "missing" when a store
            ended before the reader started and no erase (or erase in
            doubt) could have come after it, before the reader ended;
  last      afterwards every server holds what its last write left: the
            pair of a store, or nothing for an erase.  Writes to one server
            overlap, so "last" is any write that no other write started
            after the end of: the final state must be the effect of one of
            these (a failed write counts too, its effect unknown).

The rule of "fresh" and "last" is sound whatever the helper's locking, as
it only orders calls that did not overlap in time.  Exits 0 when every
rule held.
"""
import argparse
import bisect
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

NOT_FOUND = "credentials not found in native keychain"


def server_of(r):
    return f"https://load{r}.credkit.invalid"


def run(helper, verb, data, bound):
    """(status, stdout, stderr, timed_out) of one call of helper."""
    p = subprocess.Popen([helper, verb], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(data.encode(), timeout=bound)
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace"), False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        return -9, out.decode(errors="replace"), err.decode(errors="replace"), True


def worker(w, a):
    rnd = random.Random(w * 7919 + os.getpid())
    end = time.monotonic() + a.seconds
    n = 0
    with open(os.path.join(a.dir, f"w{w}.log"), "w", buffering=1) as log:
        while time.monotonic() < end:
            n += 1
            r = rnd.randrange(a.registries)
            verb = rnd.choices(("store", "get", "list", "erase"), (30, 35, 15, 20))[0]
            op = {"w": w, "n": n, "verb": verb, "reg": r}
            if verb == "store":
                op["user"] = f"u{w}.{n}"
                op["secret"] = f"s{w}.{n}-{rnd.getrandbits(48):x}"
                data = json.dumps({"ServerURL": server_of(r), "Username": op["user"],
                                   "Secret": op["secret"]})
            elif verb == "list":
                data = ""
            else:
                data = server_of(r)
            op["t0"] = time.monotonic()
            rc, out, err, hung = run(a.helper, verb, data, a.call_timeout)
            op["t1"] = time.monotonic()
            op.update(rc=rc, out=out, err=err[:300], hung=hung)
            log.write(json.dumps(op) + "\n")


def classify(op, transient):
    """Sets op["ok"], op["transient"] and, for readers, what was seen;
    returns a failure text or None."""
    verb, rc, out = op["verb"], op["rc"], op["out"]
    op["ok"] = False
    op["transient"] = bool(transient and rc == 1 and out.count("\n") == 1 and
                           re.search(transient, out))
    if op["transient"]:
        return None
    if op["hung"]:
        return f"did not end within the call's bound"
    if verb in ("store", "erase"):
        if rc == 0 and out == "":
            op["ok"] = True
            return None
    elif verb == "get":
        if rc == 1 and out == NOT_FOUND + "\n":
            op["ok"], op["seen"] = True, None
            return None
        try:
            v = json.loads(out)
            if (rc == 0 and out.endswith("}\n") and out.count("\n") == 1 and
                    list(v) == ["ServerURL", "Username", "Secret"] and
                    v["ServerURL"] == server_of(op["reg"])):
                op["ok"], op["seen"] = True, (v["Username"], v["Secret"])
                return None
        except (ValueError, TypeError):
            pass
    elif verb == "list":
        try:
            v = json.loads(out)
            if rc == 0 and isinstance(v, dict) and out.count("\n") == 1:
                op["ok"], op["seen"] = True, v
                return None
        except ValueError:
            pass
    return f"exit {rc}, stdout {out[:200]!r}, stderr {op['err'][:200]!r}"


def load_ops(a):
    ops = []
    for w in range(a.procs):
        try:
            with open(os.path.join(a.dir, f"w{w}.log")) as f:
                ops += [json.loads(line) for line in f if line.endswith("\n")]
        except FileNotFoundError:
            pass
    return ops


def effect(op):
    """A write's effect on its server: the pair it stored, or None."""
    return (op["user"], op["secret"]) if op["verb"] == "store" else None


class Writes:
    """The writes to one server, indexed for the reader checks."""

    def __init__(self, writes):
        self.all = writes
        self.by_user = {o["user"]: o for o in writes if o["verb"] == "store"}
        ok = sorted((o for o in writes if o["ok"]), key=lambda o: o["t0"])
        starts = [o["t0"] for o in ok]
        # For each store: the earliest end of a definite write that started
        # after it ended (what made it stale), and the earliest start of an
        # erase, in doubt or not, that ended after it started (what may
        # have come after it).
        suffix_end, m = [], float("inf")
        for o in reversed(ok):
            m = min(m, o["t1"])
            suffix_end.append(m)
        suffix_end.reverse()
        erases = [o for o in writes if o["verb"] == "erase"]
        for o in writes:
            if o["verb"] != "store":
                continue
            i = bisect.bisect_right(starts, o["t1"])
            o["stale_at"] = suffix_end[i] if i < len(suffix_end) else float("inf")
            o["erasable_from"] = min((e["t0"] for e in erases if e["t1"] > o["t0"]),
                                     default=float("inf"))
        # Definite stores by end, with the running maximum of erasable_from.
        self.done = sorted((o for o in ok if o["verb"] == "store"), key=lambda o: o["t1"])
        self.ends = [o["t1"] for o in self.done]
        self.kept, m = [], float("-inf")
        for o in self.done:
            if o["erasable_from"] > m:
                m, best = o["erasable_from"], o
            self.kept.append((m, best))

    def wrong(self, seen, op):
        """Why a reader op that saw seen (a pair, its secret None for list,
        or None: missing) is wrong, or None."""
        if seen is None:
            i = bisect.bisect_left(self.ends, op["t0"])
            if i and self.kept[i - 1][0] >= op["t1"]:
                s = self.kept[i - 1][1]
                return (f"missing, though w{s['w']}.{s['n']} stored it before the "
                        f"reader started and no erase could come after")
            return None
        s = self.by_user.get(seen[0])
        if s is None:
            return "a pair no store wrote"
        if seen[1] is not None and s["secret"] != seen[1]:
            return "a username with another store's secret"
        if s["stale_at"] < op["t0"]:
            return (f"the pair of w{s['w']}.{s['n']}, which a later write replaced "
                    f"before the reader started")
        return None


def check(a):
    servers = {server_of(r): r for r in range(a.registries)}
    ops = load_ops(a)
    fails, counts = [], {}
    for op in ops:
        why = classify(op, a.transient)
        c = counts.setdefault(op["verb"], {"calls": 0, "failed": 0, "missing": 0,
                                           "transient": 0})
        c["calls"] += 1
        if op["transient"]:
            c["transient"] += 1
        elif why:
            c["failed"] += 1
            fails.append(f"w{op['w']}.{op['n']} {op['verb']} {server_of(op['reg'])}: {why}")
        elif op["verb"] == "get" and op["seen"] is None:
            c["missing"] += 1
    writes = {r: [o for o in ops if o["reg"] == r and o["verb"] in ("store", "erase") and
                  not o["transient"]]
              for r in range(a.registries)}
    index = {r: Writes(w) for r, w in writes.items()}
    wrong = []
    for op in ops:
        if not op["ok"] or op["verb"] not in ("get", "list"):
            continue
        if op["verb"] == "get":
            why = index[op["reg"]].wrong(op["seen"], op)
            if why:
                wrong.append(f"w{op['w']}.{op['n']} get {server_of(op['reg'])}: {why}")
            continue
        for s, user in op["seen"].items():
            if s not in servers:
                wrong.append(f"w{op['w']}.{op['n']} list: a server never stored, {s}")
                continue
            why = index[servers[s]].wrong((user, None), op)
            if why:
                wrong.append(f"w{op['w']}.{op['n']} list {s}: {why}")
        for r in range(a.registries):
            if server_of(r) not in op["seen"]:
                why = index[r].wrong(None, op)
                if why:
                    wrong.append(f"w{op['w']}.{op['n']} list {server_of(r)}: {why}")
    return ops, fails, counts, writes, wrong


def last_writes(reg_writes):
    """The writes no other definite write started after the end of."""
    done = [o for o in reg_writes if o["ok"]]
    if not done:
        return reg_writes
    start = max(o["t0"] for o in done)
    return [o for o in reg_writes if o["t1"] >= start]


def final_state(a, writes):
    """One text per server whose entry is not what one of its last writes left."""
    bad = []
    rc, out, err, hung = run(a.helper, "list", "", a.call_timeout)
    try:
        listed = json.loads(out) if rc == 0 else None
    except ValueError:
        listed = None
    if not isinstance(listed, dict):
        return [f"the final list failed: exit {rc}, stdout {out[:200]!r}, stderr {err[:200]!r}"]
    for r in range(a.registries):
        s = server_of(r)
        rc, out, err, hung = run(a.helper, "get", s, a.call_timeout)
        if rc == 1 and out == NOT_FOUND + "\n":
            got = None
        elif rc == 0:
            v = json.loads(out)
            got = (v["Username"], v["Secret"])
        else:
            bad.append(f"{s}: the final get failed: exit {rc}, stdout {out[:200]!r}")
            continue
        if (got[0] if got else None) != listed.get(s):
            bad.append(f"{s}: list says {listed.get(s)!r}, get {got!r}")
        last = last_writes(writes[r])
        if not writes[r]:
            if got is not None:
                bad.append(f"{s}: never written, holds {got!r}")
        elif not any(effect(o) == got for o in last):
            names = ", ".join(f"w{o['w']}.{o['n']} {o['verb']}" for o in last)
            bad.append(f"{s}: holds {got!r}, not the effect of its last writes ({names})")
    for s in listed:
        if not s.startswith("https://load"):
            bad.append(f"a server never stored is listed: {s}")
    return bad


def tap(name, good, what, detail=()):
    print(("ok - " if good else "not ok - ") + f"{name}: {what}")
    if not good:
        for d in list(detail)[:8]:
            print(f"#   {d}")
        if len(detail) > 8:
            print(f"#   ... and {len(detail) - 8} more")
    return good


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("helper")
    p.add_argument("dir")
    p.add_argument("--procs", type=int, default=64)
    p.add_argument("--registries", type=int, default=16)
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--call-timeout", type=float, default=60)
    p.add_argument("--transient", default=None)
    p.add_argument("--min-calls", type=int, default=5)
    a = p.parse_args()
    name = a.name
    os.makedirs(a.dir, exist_ok=True)
    pids = {}
    start = time.monotonic()
    for w in range(a.procs):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                worker(w, a)
                code = 0
            finally:
                os._exit(code)
        pids[pid] = w
    bound = start + a.seconds + a.call_timeout + 30
    stuck = []
    while pids:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid:
            w = pids.pop(pid, None)
            if w is not None and status != 0:
                stuck.append(f"worker {w} (pid {pid}) ended with status {status:#x}")
            continue
        if time.monotonic() > bound:
            for pid, w in pids.items():
                stuck.append(f"worker {w} (pid {pid}) still running")
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            break
        time.sleep(0.05)
    took = time.monotonic() - start
    ops, fails, counts, writes, wrong = check(a)
    hung = [f for f in fails if "did not end" in f]
    slowest = max((o["t1"] - o["t0"] for o in ops), default=0)
    for verb in ("store", "get", "list", "erase"):
        c = counts.get(verb, {"calls": 0, "failed": 0, "missing": 0, "transient": 0})
        extra = f", {c['missing']} not found" if verb == "get" else ""
        if a.transient:
            extra += f", {c['transient']} transient"
        print(f"# {name}: {verb:5} {c['calls']:6} calls, {c['failed']} failed{extra}")
    print(f"# {name}: {len(ops)} calls by {a.procs} processes over {a.registries} "
          f"registries in {took:.1f} s (asked {a.seconds:g} s); slowest call {slowest:.2f} s")
    good = tap(name, not hung and not stuck,
               f"no call hung (each bounded by {a.call_timeout:g} s), every process ended, with status 0",
               stuck + hung)
    transients = sum(1 for o in ops if o["transient"])
    also = f", {transients} transient" if a.transient else ""
    few = []
    for verb in ("store", "get", "list", "erase"):
        c = counts.get(verb, {"calls": 0})
        if c["calls"] < a.min_calls:
            few.append(f"{verb}: {c['calls']} calls")
        ok = sum(1 for o in ops if o["verb"] == verb and o["ok"])
        if verb in ("store", "erase") and ok < a.min_calls:
            few.append(f"{verb}: {ok} succeeded")
    if transients * 10 >= len(ops) and transients:
        few.append(f"{transients} transient of {len(ops)} calls")
    good &= tap(name, not few,
                f"each verb ran at least {a.min_calls} calls, each write verb {a.min_calls} "
                f"successes, transients under 10% ({transients})", few)
    good &= tap(name, not fails,
                f"every call succeeded ({len(fails)} of {len(ops)} failed{also})", fails)
    good &= tap(name, not wrong,
                "every get and list answered a whole stored pair, never a stale state", wrong)
    bad = final_state(a, writes)
    good &= tap(name, not bad, "every surviving entry is what its last writer wrote", bad)
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
