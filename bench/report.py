# SPDX-License-Identifier: MIT
"""bench/report.py - bench/run.sh's report, from what the bench scripts
left in one directory (BENCH_OUT: hyperfine exports NAME.json and the
"KEY<tab>VALUE" lines of facts, see bench/lib.sh).

    report.py OUT RESULTS [README]

Writes RESULTS (Markdown: the run, the targets marked PASS or FAIL, then
one table per comparison); with README, replaces what lies between its
"<!-- begin bench/RESULTS.md -->" and "<!-- end bench/RESULTS.md -->"
lines with the same report, its headings one level down and without its
title.  A part that did not run leaves its rows out, and its targets say
"not measured" (a FAIL).
"""
import json
import os
import re
import sys

KB = 1024
SIZE_LIMIT = 150 * KB   # every dynamically linked program, stripped
RSS_LIMIT = 4 * KB      # peak RSS of a get, in KB (/usr/bin/time's %M)
BEGIN = "<!-- begin bench/RESULTS.md -->"
END = "<!-- end bench/RESULTS.md -->"


def load(out):
    """The facts, and per export NAME the median and the CPU time (user and
    system, hyperfine's means) of each command, in ms."""
    facts, runs, cpu = {}, {}, {}
    with open(os.path.join(out, "facts")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            facts[key] = value
    for name in os.listdir(out):
        if name.endswith(".json"):
            with open(os.path.join(out, name)) as f:
                results = json.load(f)["results"]
            runs[name[:-5]] = {r["command"]: r["median"] * 1e3 for r in results}
            cpu[name[:-5]] = {r["command"]: (r["user"] + r["system"]) * 1e3
                              for r in results}
    return facts, runs, cpu


def ms(t):
    return "-" if t is None else f"{t:.2f} ms"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def table(add, *columns):
    """The head of a table of COLUMNS: its names, then the rule under them."""
    add("| " + " | ".join(columns) + " |")
    add("|" + "|".join("-" * (len(c) + 2) for c in columns) + "|")


def ours_first(keys):
    """KEYS sorted, credkit's ("credkit ...") first."""
    return sorted(keys, key=lambda k: (not k.startswith("credkit"), k))


def verdict(ok):
    return "not measured: FAIL" if ok is None else ("PASS" if ok else "FAIL")


def report(facts, runs, cpu):
    def get(run, command, what=runs):
        return what.get(run, {}).get(command)

    lines = []
    add = lines.append
    fr = facts.get
    failed = [k[7:] for k in facts if k.startswith("failed.")]

    add(f"- date: {fr('date')}, {fr('took')} s "
        f"(RUNS={fr('runs')}, COLD_RUNS={fr('cold_runs')})")
    add(f"- machine: {fr('nproc')} cores, {fr('cpu')}, {fr('kernel')}; "
        f"load average {fr('load.before')} before, {fr('load.after')} after")
    add(f"- commit: {fr('commit')}")
    add(f"- against Debian's golang-docker-credential-helpers "
        f"{fr('version.golang-docker-credential-helpers')}, "
        f"amazon-ecr-credential-helper {fr('version.amazon-ecr-credential-helper')}, "
        f"gh {fr('version.gh')}")
    add("- times are hyperfine's medians, each command's stdin fed by bench/feed "
        "(a static exec-with-redirect); a ratio is Go's median over credkit's "
        "within one hyperfine run (higher is better for credkit)")
    for part in failed:
        add(f"- **{part} did not run**: {facts['failed.' + part]}")
    go_failed = [f"{k[10:]} {v}" for k, v in facts.items()
                 if k.startswith("go_failed.") and v != "0"]
    if go_failed:
        add(f"- runs of the Go helpers that failed (hyperfine -i: kept in their "
            f"medians): {', '.join(go_failed)}")
    add("")

    # The targets.
    ss_go = get("storage-get", "Go secretservice")
    ss = get("storage-get", "credkit secretservice")
    kc = get("storage-get", "credkit keyctl")
    ecr = get("ecr-cached", "credkit cached get")
    ecr_go = get("ecr-cached", "Go cached get")

    def at_least(a, b, goal):
        if a is None or b is None:
            return None, "-"
        return a / b >= goal, f"{a / b:.2f}x"

    sizes = {k[5:]: v.split() for k, v in facts.items() if k.startswith("size.")}
    dynamic = {k: int(v[1]) for k, v in sizes.items()
               if k.startswith("credkit ") and v[2] == "dynamic"}
    big = {k: v for k, v in dynamic.items() if v >= SIZE_LIMIT}
    rss = {k[4:]: int(v) for k, v in facts.items() if k.startswith("rss.")}
    gets = ["credkit keyctl get", "credkit secretservice get", "credkit pass get",
            "credkit ecr-login cached get", "credkit ghcr cached get"]
    rss_gets = {k: rss[k] for k in gets if k in rss}
    rss_over = {k: v for k, v in rss_gets.items() if v >= RSS_LIMIT}
    ecr32, ecr32_go = fr("ecr.calls32.credkit"), fr("ecr.calls32.go")
    gh32 = fr("ghcr.gh_runs32")

    add("## Targets")
    add("")
    table(add, "target", "measured", "result")
    ok, got = at_least(ss_go, ss, 4)
    add(f"| secretservice `get` at least 4x the Go helper | {got} | {verdict(ok)} |")
    ok, got = at_least(ss_go, kc, 12)
    add(f"| keyctl `get` at least 12x the Go secretservice (no Go keyctl helper exists) "
        f"| {got} | {verdict(ok)} |")
    ok, got = at_least(ecr_go, ecr, 4)
    add(f"| ecr-login cached `get` at least 4x the Go ecr-login | {got} | {verdict(ok)} |")
    if dynamic:
        worst = max(dynamic, key=dynamic.get)
        got = (", ".join(f"{k[8:]} {v / KB:.0f} KB" for k, v in sorted(big.items()))
               if big else f"largest {worst[8:]} {dynamic[worst] / KB:.0f} KB")
        ok = not big
    else:
        got, ok = "-", None
    add(f"| every dynamically linked program under 150 KB stripped | {got} | {verdict(ok)} |")
    if len(rss_gets) == len(gets):
        worst = max(rss_gets, key=rss_gets.get)
        got = (", ".join(f"{k[8:]} {v / KB:.1f} MB" for k, v in rss_over.items())
               if rss_over else f"largest {worst[8:]} {rss_gets[worst] / KB:.1f} MB")
        ok = not rss_over
    else:
        got, ok = "-", None
    add(f"| peak RSS of each helper's `get` under 4 MB | {got} | {verdict(ok)} |")
    if ecr32 is not None and gh32 is not None:
        got = f"ecr-login {ecr32} ECR call(s) (Go {ecr32_go}), ghcr ran gh {gh32} time(s)"
        ok = ecr32 == "1" and gh32 == "1"
    else:
        got, ok = "-", None
    add(f"| 32 parallel cold gets make one call | {got} | {verdict(ok)} |")
    add("")
    add("The peak RSS is /usr/bin/time's, the largest of the process and the "
        "children it waited for: pass's `get` counts gpg's, a ghcr `get` the "
        "store's helper it asks first; the token helpers' row is the cached `get`, "
        "a cold one (which runs the minter) is in the RSS table.")
    add("")

    # The floor.
    add("## The floor")
    add("")
    add("An empty static program (`int main(void) { return 0; }`, built by "
        "bench/run.sh) fed the same way, timed in each hyperfine run beside the "
        "helpers: "
        + ", ".join(f"{ms(get(r, 'empty static program'))} ({r})"
                    for r in ("storage-get", "storage-list", "storage-store",
                              "ecr-cached", "ghcr-cached") if r in runs)
        + ".")
    add("")

    # Storage helpers.
    if any(f"storage-{v}" in runs for v in ("get", "list", "store")):
        add("## Storage helpers")
        add("")
        add("Each verb in one hyperfine run, on a private gnome-keyring, a session "
            "keyring and a throwaway pass store.  There is no Go keyctl helper: "
            "keyctl is set against the Go secretservice, the helper it replaces on "
            "a host without a desktop.  The CPU time (user and system, hyperfine's "
            "means) is the helper's and its children's (gpg for pass), not the "
            "keyring daemon's or gpg-agent's: it moves less with the load than the "
            "time does, which counts the waits for them.")
        add("")
        table(add, "helper", "verb", "credkit", "against", "Go", "Go / credkit",
              "CPU time, Go / credkit")
        for helper, go in (("secretservice", "secretservice"), ("keyctl", "secretservice"),
                           ("pass", "pass")):
            for verb in ("get", "list", "store"):
                r = f"storage-{verb}"
                if r not in runs:
                    continue
                c, g = get(r, f"credkit {helper}"), get(r, f"Go {go}")
                cc, cg = get(r, f"credkit {helper}", cpu), get(r, f"Go {go}", cpu)
                add(f"| {helper} | {verb} | {ms(c)} | Go {go} | {ms(g)} | {ratio(g, c)} "
                    f"| {ms(cg)} / {ms(cc)} = {ratio(cg, cc)} |")
        add("")

    # ecr-login.
    if "ecr-cached" in runs:
        add("## ecr-login")
        add("")
        add("Against the tests' fake AWS (tests/tools/aws-mock.py); the Go helper "
            "reaches it through the mock's TLS-terminating CONNECT proxy.  The CPU "
            "time is the helper's and its minter's, not the mock's.")
        add("")
        table(add, "get", "credkit", "Go ecr-login", "Go / credkit", "CPU time, Go / credkit")
        rows = [("cached", "ecr-cached", "credkit cached get", "Go cached get"),
                ("cold (mints)", "ecr-cold", "credkit cold get", "Go cold get"),
                ("cold, the system's CAs", "ecr-system-dir", "system CAs, hashed directory",
                 "Go, system CAs")]
        for name, r, c, g in rows:
            if r in runs:
                cc, cg = get(r, c, cpu), get(r, g, cpu)
                add(f"| {name} | {ms(get(r, c))} | {ms(get(r, g))} | "
                    f"{ratio(get(r, g), get(r, c))} | {ms(cg)} / {ms(cc)} = {ratio(cg, cc)} |")
        add("")
        notes = []
        if "ecr-cold" in runs:
            notes.append(f"an empty program linking libcurl takes "
                         f"{ms(get('ecr-cold', 'empty program linking libcurl'))}")
        if fr("ecr.latency_ms"):
            notes.append(f"the endpoint's own latency (a signed call on a new TLS "
                         f"connection) is {fr('ecr.latency_ms')} ms")
        if fr("ecr.system_go_failed", "0") != "0":
            notes.append(f"with the system's CAs, the Go helper failed "
                         f"{fr('ecr.system_go_failed')} of {fr('cold_runs')} runs (a known "
                         f"flake through the mock's proxy, after a get's whole work; "
                         f"kept in its median)")
        if "ecr-system-file" in runs:
            notes.append(f"trusting the system's CAs through the bundle file "
                         f"(libcurl's default) a cold get takes "
                         f"{ms(get('ecr-system-file', 'system CAs, bundle file'))}")
        elif "ecr-cold" in runs:
            notes.append("the cold gets with the system's CAs were left out "
                         "(they need root and a mount namespace, or one failed)")
        if notes:
            add("Beside them: " + "; ".join(notes) + ".")
            add("")

    # ghcr.
    if "ghcr-cached" in runs:
        c = get("ghcr-cached", "credkit cached get")
        add("## ghcr")
        add("")
        add("Against `gh auth token --hostname github.com` (Debian's gh, reading a "
            "hand-written hosts.yml), which the gh-based shell helpers run on every "
            "get.")
        add("")
        table(add, "get", "median", "/ credkit cached")
        rows = [("credkit, cached", c),
                ("credkit, cached, store not asked",
                 get("ghcr-no-store", "credkit cached get, no store")),
                ("credkit, cached, store in the Secret Service",
                 get("ghcr-desktop", "credkit cached get, Secret Service")),
                ("`gh auth token` alone", get("ghcr-cached", "gh auth token")),
                ("shell helper (`gh auth token`, then the JSON)",
                 get("ghcr-cached", "shell helper"))]
        for name, t in rows:
            if t is not None:
                add(f"| {name} | {ms(t)} | {ratio(t, c)} |")
        if fr("ghcr.cold_ms"):
            add(f"| credkit, cold (runs gh; medians of pairs) | {fr('ghcr.cold_ms')} ms "
                f"| {ratio(float(fr('ghcr.cold_ms')), c)} |")
        add("")
        if fr("ghcr.cold_added_ms"):
            add(f"Cold, credkit adds {fr('ghcr.cold_added_ms')} ms to gh's own "
                f"{fr('ghcr.cold_gh_ms')} ms (the median of the pairs' differences).")
            add("")

    # 32 at once.
    if ecr32 is not None or gh32 is not None:
        add("## 32 parallel cold gets")
        add("")
        table(add, "helper", "calls made", "the Go ECR helper")
        if ecr32 is not None:
            add(f"| ecr-login | {ecr32} to ECR | {ecr32_go} to ECR |")
        if gh32 is not None:
            add(f"| ghcr | gh ran {gh32} time(s), {fr('ghcr.answered32')} of 32 "
                f"answered the token | - |")
        add("")

    # Sizes.
    if sizes:
        add("## Sizes")
        add("")
        table(add, "program", "linked", "as built", "stripped", "under 150 KB")
        for k in ours_first(sizes):
            built, stripped, link = sizes[k]
            if k.startswith("credkit") and link == "dynamic":
                mark = "PASS" if int(stripped) < SIZE_LIMIT else "FAIL"
            else:
                mark = "(static)" if k.startswith("credkit") else "-"
            add(f"| {k} | {link} | {int(built) / KB:.0f} KB | {int(stripped) / KB:.0f} KB "
                f"| {mark} |")
        add("")

    # Peak RSS.
    if rss:
        add("## Peak RSS")
        add("")
        table(add, "get", "peak RSS", "under 4 MB")
        for k in ours_first(rss):
            mark = ("PASS" if rss[k] < RSS_LIMIT else "FAIL") if k in gets else "-"
            add(f"| {k} | {rss[k] / KB:.1f} MB | {mark} |")
        add("")
    return lines


def main():
    out, results = sys.argv[1], sys.argv[2]
    facts, runs, cpu = load(out)
    body = report(facts, runs, cpu)
    with open(results, "w") as f:
        f.write("# credkit benchmark report\n\n"
                "Written by bench/run.sh (make bench); do not edit.\n\n")
        f.write("\n".join(body))
    if len(sys.argv) > 3:
        readme = sys.argv[3]
        text = open(readme).read()
        block = "\n".join(re.sub(r"^(#+) ", r"\1# ", line) for line in body)
        new, n = re.subn(re.escape(BEGIN) + r"\n.*?" + re.escape(END),
                         lambda _: f"{BEGIN}\n{block}{END}", text, flags=re.S)
        if n != 1:
            sys.exit(f"report.py: {readme} has no {BEGIN} ... {END} block")
        with open(readme, "w") as f:
            f.write(new)


if __name__ == "__main__":
    main()
