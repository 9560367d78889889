#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-goinput.sh - the Go helpers' input rules, answered by Go itself.
#
#   bash tests/t-goinput.sh
#
# Runs every case of the "@go" blocks of tests/data/engine/protocol.txt
# (the engine's data file, which tests/unit/test_engine.c runs in-process)
# through Debian's Go helper /usr/bin/docker-credential-secretservice and
# through $CREDKIT_BIN/docker-credential-secretservice (default bin/), each
# on its own throwaway keyring (tests/with-keyring), and checks for every
# case that
#
#   - Go's answer is the one the data file expects: the same exit status,
#     and the same stdout where the data file gives it exactly (where it
#     gives a pattern, "~TEXT", "!TEXT" or "*", the words are credkit's
#     own and Go need only exit with the same status);
#   - credkit's answer is the one the data file expects, pattern included.
#
# So the expected answers of those cases are Go's, not typed in.  "@go"
# empties the store: here, every entry that list shows is erased.
#
# Run as "t-goinput.sh run HELPER DIR NAME" inside a keyring, it runs the
# cases prepared in DIR through HELPER (this is how the script calls itself).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GO=/usr/bin/docker-credential-secretservice
DATA=$CREDKIT_ROOT/tests/data/engine/protocol.txt

# The data file's cases, decoded, and the comparison of the answers.
PY=$(cat <<-'EOF'
	import json, os, re, sys

	def decode(field):
	    """The bytes a field of the data file stands for."""
	    out, i = bytearray(), 0
	    simple = {"n": b"\n", "t": b"\t", "\\": b"\\", "0": b"\0"}
	    while i < len(field):
	        c = field[i]
	        if c != "\\":
	            out += c.encode()
	            i += 1
	        elif field[i + 1:i + 2] in simple:
	            out += simple[field[i + 1]]
	            i += 2
	        elif re.match(r"x[0-9a-fA-F]{2}", field[i + 1:i + 4]):
	            out.append(int(field[i + 2:i + 4], 16))
	            i += 4
	        else:
	            raise ValueError("bad escape in %r" % field)
	    return bytes(out)

	def prepare(data, cases):
	    """Write the @go cases to the folder cases: N.args, N.in, N.reset
	    (when the case starts a block), index.json and count."""
	    n, inside, index = 0, False, []
	    for no, line in enumerate(open(data, encoding="utf-8"), 1):
	        line = line.rstrip("\n")
	        if line == "@go":
	            inside, reset = True, True
	            continue
	        if line == "@go end":
	            inside = False
	            continue
	        if not inside or not line or line.startswith("#"):
	            continue
	        if line.startswith("@") or re.search(r"<(\d+KiB|2MiB)>", line):
	            sys.exit("protocol.txt:%d: no directive or big input in @go" % no)
	        args, stdin, status, stdout = line.split("\t")
	        n += 1
	        open("%s/%d.args" % (cases, n), "w").write(args.replace(" ", "\n"))
	        open("%s/%d.in" % (cases, n), "wb").write(decode(stdin))
	        if reset:
	            open("%s/%d.reset" % (cases, n), "w").close()
	        index.append({"n": n, "line": no, "reset": reset, "args": args,
	                      "stdin": stdin[:40], "status": int(status),
	                      "stdout": stdout})
	        reset = False
	    json.dump(index, open(cases + "/index.json", "w"))
	    open(cases + "/count", "w").write("%d\n" % n)
	    print(n)

	def matches(got, want):
	    if want == "*":
	        return True
	    if want[:1] in ("~", "!"):
	        return (decode(want[1:]) in got) == (want[0] == "~")
	    return got == decode(want)

	def answer(folder, n):
	    out = open("%s/%d.out" % (folder, n), "rb").read()
	    rc = int(open("%s/%d.rc" % (folder, n)).read())
	    return rc, out

	def compare(cases, go, ours):
	    failed = 0
	    for c in json.load(open(cases + "/index.json")):
	        what = "protocol.txt:%d: %s %s" % (c["line"], c["args"], c["stdin"])
	        exact = c["stdout"][:1] not in ("~", "!") and c["stdout"] != "*"
	        for who, folder in (("Go", go), ("credkit", ours)):
	            rc, out = answer(folder, c["n"])
	            ok = rc == c["status"] and (matches(out, c["stdout"])
	                                        if who == "credkit" or exact else True)
	            print("%s - goinput: %s answers %s as the data file says" %
	                  ("ok" if ok else "not ok", who, what))
	            if not ok:
	                failed += 1
	                print("#   exit %d, want %d\n#   stdout: %r\n#   want:   %s" %
	                      (rc, c["status"], out[:300], c["stdout"]))
	    sys.exit(1 if failed else 0)

	def servers(listed):
	    for s in sorted(json.loads(listed or "{}")):
	        sys.stdout.buffer.write(s.encode() + b"\0")

	mode = sys.argv[1]
	if mode == "prepare":
	    prepare(sys.argv[2], sys.argv[3])
	elif mode == "compare":
	    compare(sys.argv[2], sys.argv[3], sys.argv[4])
	elif mode == "servers":
	    servers(sys.stdin.read())
	EOF
)
py() { python3 -c "$PY" "$@"; }

# empty_store HELPER DIR: erase every entry HELPER lists (DIR/list).
empty_store() {
	local s
	timeout 20 "$1" list </dev/null >"$2/list" 2>/dev/null
	while IFS= read -r -d '' s; do
		printf '%s' "$s" | timeout 20 "$1" erase >/dev/null 2>&1
	done < <(py servers <"$2/list")
}

# run_cases HELPER DIR NAME: every case prepared in DIR/cases through
# HELPER, in order; DIR/NAME/N.out and N.rc hold its answers.
run_cases() {
	local helper=$1 dir=$2 n args
	mkdir -p "$dir/$3"
	for n in $(seq "$(cat "$dir/cases/count")"); do
		[ -e "$dir/cases/$n.reset" ] && empty_store "$helper" "$dir/$3"
		mapfile -t args <"$dir/cases/$n.args"
		timeout 20 "$helper" "${args[@]}" <"$dir/cases/$n.in" \
			>"$dir/$3/$n.out" 2>>"$dir/$3/stderr"
		echo $? >"$dir/$3/$n.rc"
	done
}

main() {
	local ours=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}/docker-credential-secretservice n

	if [ "${1:-}" = run ]; then
		run_cases "$2" "$3" "$4"
		return
	fi
	t_tmpdir
	for tool in python3 dbus-run-session gnome-keyring-daemon; do
		command -v "$tool" >/dev/null || { t_skip "goinput" "$tool is not installed"; exit 1; }
	done
	[ -x "$GO" ] || { t_skip "goinput" "$GO is not installed"; exit 1; }
	printf '# Go: %s\n# credkit: %s\n' "$GO" "$ours"
	mkdir "$TMP/cases"
	n=$(py prepare "$DATA" "$TMP/cases") || { t_fail "goinput: read $DATA"; exit 1; }
	t_check "goinput: the data file has @go cases ($n)" test "$n" -gt 0
	"$CREDKIT_ROOT/tests/with-keyring" bash "${BASH_SOURCE[0]}" run "$GO" "$TMP" go 2>/dev/null
	"$CREDKIT_ROOT/tests/with-keyring" bash "${BASH_SOURCE[0]}" run "$ours" "$TMP" ours 2>/dev/null
	py compare "$TMP/cases" "$TMP/go" "$TMP/ours" || T_FAILED=$((T_FAILED + 1))
	t_done
}

main "$@"
