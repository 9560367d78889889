#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""kubelet-driver.py - run an image credential provider as a kubelet does.

    kubelet-driver.py --config FILE --bin-dir DIR --image IMAGE
                      [--provider NAME] [--sa-token TOKEN]
                      [--sa-annotation KEY=VALUE]... [--timeout SECONDS]
    kubelet-driver.py --print-request --config FILE --image IMAGE [...]
    kubelet-driver.py --check-match FILE
    kubelet-driver.py --check-durations FILE...

What it does, after the kubelet (pkg/credentialprovider/plugin/plugin.go,
config.go, pkg/credentialprovider/keyring.go):

 - reads a CredentialProviderConfig (YAML or JSON, decoded strictly: an
   unknown or repeated field is an error) and validates it as
   validateCredentialProviderConfig() does;
 - picks the providers whose matchImages match the image (URLsMatchStr(),
   the reading of Go's url.Parse, net.SplitHostPort and path.Match);
 - for each (or --provider NAME), builds the request the kubelet's encoder
   writes (one line of JSON: kind, apiVersion, image, and in v1 with
   tokenAttributes the service-account token and the annotations the
   config names), execs DIR/NAME with the config's args, the environment
   plus the config's env, under a 60 s limit (--timeout for tests), the
   request on stdin;
 - fails when the plugin exits non-zero, and else decodes its stdout
   strictly: an unknown or repeated field anywhere fails, the apiVersion
   must echo the provider's, kind CredentialProviderResponse,
   cacheKeyType one of Image, Registry, Global, cacheDuration (when given)
   a Go duration, and some auth key must match the image as the kubelet's
   keyring matches it (else the kubelet pulls without credentials); a
   password equal to the service-account token is refused unless the
   provider's tokenAttributes.cacheType is Token, as the kubelet refuses it.

On success it prints one JSON object a line per provider run:
{"provider", "apiVersion", "cacheKeyType", "cacheDuration" (or null),
"cacheSeconds" (or null), "auth": {KEY: {"username", "password",
"matches"}}, "request"} and exits 0.  A failure prints
"kubelet-driver: PROVIDER: why" on stderr and exits 1; a bad config or
usage exits 2.  The passwords printed are test tokens: this is a test tool.
"""
import argparse
import json
import os
import signal
import subprocess
import sys

import yaml

GROUP = "credentialprovider.kubelet.k8s.io"
PLUGIN_APIS = (GROUP + "/v1alpha1", GROUP + "/v1beta1", GROUP + "/v1")
CONFIG_APIS = ("kubelet.config.k8s.io/v1alpha1", "kubelet.config.k8s.io/v1beta1",
               "kubelet.config.k8s.io/v1")
EXEC_LIMIT = 60.0	# the kubelet's catch-all limit for an exec plugin


class Failure(Exception):
    """What a kubelet would log for a provider that gave no credentials."""


class BadConfig(Exception):
    """A config the kubelet would refuse at start-up."""


# --- Go's reading of a schemeless URL -------------------------------------

HOST_BYTES = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                 b"-_.~!$&'()*+,;=:[]<>\"")
USERINFO_BYTES = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                     b"-._:~!$&'()*+,;=%@")
HEX = b"0123456789abcdefABCDEF"


def go_unescape(s, host=False):
    """url's unescape(): bytes decoded, or None where Go errs (and on %00)."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == 0x25:
            if i + 2 >= len(s) or s[i + 1] not in HEX or s[i + 2] not in HEX:
                return None
            v = int(s[i + 1:i + 3], 16)
            if host and v < 0x80 and s[i:i + 3] != b"%25":
                return None
            if v == 0:
                return None
            out.append(v)
            i += 3
            continue
        if host and c < 0x80 and c not in HOST_BYTES:
            return None
        out.append(c)
        i += 1
    return bytes(out)


def port_ok(p):
    return p == b"" or (p[:1] == b":" and all(0x30 <= c <= 0x39 for c in p[1:]))


def go_parse(text):
    """url.Parse("https://" + text) as (host, path) bytes, or None."""
    s = text.encode() if isinstance(text, str) else text
    main, hash_, frag = s.partition(b"#")
    if any(c < 0x20 or c == 0x7f for c in main):
        return None
    if hash_ and go_unescape(frag) is None:
        return None
    main = main.split(b"?", 1)[0]
    slash = main.find(b"/")
    auth, path = (main, b"") if slash < 0 else (main[:slash], main[slash:])
    at = auth.rfind(b"@")
    if at >= 0:
        user = auth[:at]
        if any(c not in USERINFO_BYTES for c in user) or go_unescape(user) is None:
            return None
        auth = auth[at + 1:]
    if auth[:1] == b"[":
        close = auth.rfind(b"]")
        if close < 0 or not port_ok(auth[close + 1:]) or b"%" in auth:
            return None
    elif b":" in auth and not port_ok(auth[auth.rfind(b":"):]):
        return None
    host = go_unescape(auth, host=True)
    if host is None or len(host) > 1023:
        return None
    path = go_unescape(path) if path else b""
    if path is None:
        return None
    return host, path


def go_split_host(hostport):
    """SplitURL() with net.SplitHostPort(): (labels, port)."""
    host, port = hostport, b""
    colon = hostport.rfind(b":")
    ok = colon >= 0
    j = k = 0
    if ok and hostport[:1] == b"[":
        close = hostport.find(b"]")
        ok = close >= 0 and close + 1 == colon
        j, k = 1, close + 1
    elif ok:
        ok = b":" not in hostport[:colon]
    if ok and (b"[" in hostport[j:] or b"]" in hostport[k:]):
        ok = False
    if ok:
        host = hostport[1:k - 1] if hostport[:1] == b"[" else hostport[:colon]
        port = hostport[colon + 1:]
    return host.split(b"."), port


def go_rune(s, i):
    """utf8.DecodeRune of s[i:]: (rune, width), U+FFFD width 1 if invalid."""
    for width in (1, 2, 3, 4):
        piece = s[i:i + width]
        if len(piece) < width:
            break
        try:
            r = piece.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(r) == 1:
            return ord(r), width
        break
    return 0xfffd, 1


class BadPattern(Exception):
    pass


def class_char(c, i):
    """getEsc(): (rune, next index); BadPattern where Go says so."""
    if i >= len(c) or c[i] in b"-]":
        raise BadPattern()
    if c[i] == 0x5c:
        i += 1
        if i >= len(c):
            raise BadPattern()
    r, w = go_rune(c, i)
    if r == 0xfffd and w == 1:
        raise BadPattern()
    if i + w >= len(c):
        raise BadPattern()
    return r, i + w


def match_chunk(chunk, s):
    """matchChunk(): the rest of s, or None; BadPattern for a bad chunk."""
    failed = False
    ci = si = 0
    r = 0
    while ci < len(chunk):
        if not failed and si >= len(s):
            failed = True
        c = chunk[ci]
        if c == 0x5b:
            if not failed:
                r, w = go_rune(s, si)
                si += w
            ci += 1
            negated = ci < len(chunk) and chunk[ci] == 0x5e
            if negated:
                ci += 1
            hit = False
            ranges = 0
            while True:
                if ci < len(chunk) and chunk[ci] == 0x5d and ranges:
                    ci += 1
                    break
                lo, ci = class_char(chunk, ci)
                hi = lo
                if chunk[ci] == 0x2d:
                    hi, ci = class_char(chunk, ci + 1)
                if lo <= r <= hi:
                    hit = True
                ranges += 1
            if hit == negated:
                failed = True
        elif c == 0x3f:
            if not failed:
                if s[si] == 0x2f:
                    failed = True
                si += go_rune(s, si)[1]
            ci += 1
        else:
            if c == 0x5c:
                ci += 1
                if ci >= len(chunk):
                    raise BadPattern()
            if not failed:
                if chunk[ci] != s[si]:
                    failed = True
                si += 1
            ci += 1
    return None if failed else s[si:]


def scan_chunk(p):
    star = False
    while p[:1] == b"*":
        p = p[1:]
        star = True
    in_class = False
    i = 0
    while i < len(p):
        c = p[i]
        if c == 0x5c and i + 1 < len(p):
            i += 1
        elif c == 0x5b:
            in_class = True
        elif c == 0x5d:
            in_class = False
        elif c == 0x2a and not in_class:
            break
        i += 1
    return star, p[:i], p[i:]


def go_match(pattern, name):
    """path.Match(pattern, name); BadPattern for a bad pattern."""
    while pattern:
        star, chunk, pattern = scan_chunk(pattern)
        if star and not chunk:
            return b"/" not in name
        rest = match_chunk(chunk, name)
        if rest is not None and (not rest or pattern):
            name = rest
            continue
        found = False
        if star:
            i = 0
            while i < len(name) and name[i] != 0x2f:
                rest = match_chunk(chunk, name[i + 1:])
                if rest is not None and (pattern or not rest):
                    found = True
                    break
                i += 1
        if found:
            name = rest
            continue
        while pattern:
            _, chunk, pattern = scan_chunk(pattern)
            match_chunk(chunk, b"")
        return False
    return not name


def urls_match(glob, target):
    """credentialprovider.URLsMatchStr(glob, target)."""
    g, t = go_parse(glob), go_parse(target)
    if g is None or t is None:
        return False
    glabels, gport = go_split_host(g[0])
    tlabels, tport = go_split_host(t[0])
    if gport != tport or len(glabels) != len(tlabels) or not t[1].startswith(g[1]):
        return False
    try:
        return all(go_match(a, b) for a, b in zip(glabels, tlabels))
    except BadPattern:
        return False


def auth_key_matches(key, image):
    """keyring.Add(key) then Lookup(image), without the Docker Hub fallback."""
    rest = key
    for scheme in ("https://", "http://"):
        if key.startswith(scheme):
            rest = key[len(scheme):]
            break
    parsed = go_parse(rest)
    if parsed is None:
        return False
    host, path = parsed
    if path.startswith(b"/v1/") or path.startswith(b"/v2/"):
        path = path[3:]
    if path == b"/":
        path = b""
    return urls_match(host + path, image)


# --- Go's time.ParseDuration ----------------------------------------------

UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6,
         "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
INT64_MAX = 2**63 - 1


def parse_duration(s):
    """time.ParseDuration(s) in nanoseconds; ValueError as Go errs."""
    orig = s
    neg = False
    if s[:1] in ("-", "+"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError("invalid duration %r" % orig)
    total = 0
    while s:
        i = 0
        while i < len(s) and s[i].isdigit() and s[i].isascii():
            i += 1
        whole, s = s[:i], s[i:]
        frac = ""
        if s[:1] == ".":
            s = s[1:]
            i = 0
            while i < len(s) and s[i].isdigit() and s[i].isascii():
                i += 1
            frac, s = s[:i], s[i:]
        if not whole and not frac:
            raise ValueError("invalid duration %r" % orig)
        i = 0
        while i < len(s) and s[i] != "." and not ("0" <= s[i] <= "9"):
            i += 1
        unit, s = s[:i], s[i:]
        if not unit:
            raise ValueError("missing unit in duration %r" % orig)
        if unit not in UNITS:
            raise ValueError("unknown unit %r in duration %r" % (unit, orig))
        scale = UNITS[unit]
        v = int(whole or "0")
        if v > INT64_MAX // scale:
            raise ValueError("invalid duration %r" % orig)
        v *= scale
        if frac:
            # Go keeps the digits that fit (leadingFraction), then scales in
            # float64 and truncates.
            f, fscale = 0, 1
            for ch in frac:
                if f > INT64_MAX // 10:
                    break
                f = f * 10 + int(ch)
                fscale *= 10
            v += int(float(f) * (float(scale) / float(fscale)))
        total += v
        if total > INT64_MAX:
            raise ValueError("invalid duration %r" % orig)
    if neg:
        return -total
    if total > INT64_MAX:
        raise ValueError("invalid duration %r" % orig)
    return total


# --- the config -----------------------------------------------------------

class StrictLoader(yaml.SafeLoader):
    """YAML (and so JSON) with a repeated key an error, as the kubelet's
    strict decoder has it."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise BadConfig("the field %r appears twice" % (key,))
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def strict_fields(obj, where, allowed, required=()):
    if not isinstance(obj, dict):
        raise BadConfig("%s is not an object" % where)
    for k in obj:
        if k not in allowed:
            raise BadConfig('%s has an unknown field "%s"' % (where, k))
    for k in required:
        if k not in obj or obj[k] is None:
            raise BadConfig("%s needs %s" % (where, k))


def string_list(v, where):
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise BadConfig("%s is not a list of strings" % where)
    return v


def read_config(path):
    """The providers of a CredentialProviderConfig, validated."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=StrictLoader)
    except (OSError, yaml.YAMLError) as e:
        raise BadConfig("cannot read %s: %s" % (path, e))
    strict_fields(doc, "the config", ("kind", "apiVersion", "providers"),
                  ("kind", "apiVersion"))
    if doc["kind"] != "CredentialProviderConfig":
        raise BadConfig('the config\'s kind is "%s"' % doc["kind"])
    if doc["apiVersion"] not in CONFIG_APIS:
        raise BadConfig('the config\'s apiVersion "%s" is none of %s'
                        % (doc["apiVersion"], ", ".join(CONFIG_APIS)))
    providers = doc.get("providers") or []
    if not isinstance(providers, list) or not providers:
        raise BadConfig("the config needs at least one provider")
    names = set()
    for n, p in enumerate(providers):
        where = "providers[%d]" % n
        strict_fields(p, where, ("name", "matchImages", "defaultCacheDuration",
                                 "apiVersion", "args", "env", "tokenAttributes"),
                      ("name", "apiVersion", "defaultCacheDuration"))
        name = p["name"]
        if (not isinstance(name, str) or "/" in name or " " in name
                or name in (".", "..") or name in names):
            raise BadConfig("%s has a bad or repeated name %r" % (where, name))
        names.add(name)
        if p["apiVersion"] not in PLUGIN_APIS:
            raise BadConfig('%s\'s apiVersion "%s" is none of %s'
                            % (where, p["apiVersion"], ", ".join(PLUGIN_APIS)))
        images = string_list(p.get("matchImages"), where + ".matchImages")
        if not images:
            raise BadConfig("%s needs at least one matchImages entry" % where)
        for m in images:
            if go_parse(m) is None:
                raise BadConfig("%s's match image %r is invalid" % (where, m))
        try:
            if parse_duration(str(p["defaultCacheDuration"])) < 0:
                raise BadConfig("%s's defaultCacheDuration is negative" % where)
        except ValueError as e:
            raise BadConfig("%s's defaultCacheDuration: %s" % (where, e))
        string_list(p.get("args"), where + ".args")
        env = p.get("env") or []
        if not isinstance(env, list):
            raise BadConfig("%s.env is not a list" % where)
        for e in env:
            strict_fields(e, where + ".env[]", ("name", "value"), ("name",))
        ta = p.get("tokenAttributes")
        if ta is not None:
            tw = where + ".tokenAttributes"
            strict_fields(ta, tw, ("serviceAccountTokenAudience", "cacheType",
                                   "requireServiceAccount",
                                   "requiredServiceAccountAnnotationKeys",
                                   "optionalServiceAccountAnnotationKeys"),
                          ("serviceAccountTokenAudience", "requireServiceAccount"))
            if p["apiVersion"] != GROUP + "/v1":
                raise BadConfig("%s is only supported for %s/v1" % (tw, GROUP))
            # Required since 1.34 (validateCredentialProviderConfig()).
            if ta.get("cacheType") is None:
                raise BadConfig("%s.cacheType is required: ServiceAccount or Token" % tw)
            if ta.get("cacheType") not in ("ServiceAccount", "Token"):
                raise BadConfig("%s.cacheType %r is none of ServiceAccount, Token"
                                % (tw, ta.get("cacheType")))
            req = string_list(ta.get("requiredServiceAccountAnnotationKeys"), tw)
            opt = string_list(ta.get("optionalServiceAccountAnnotationKeys"), tw)
            if set(req) & set(opt):
                raise BadConfig("%s: annotation keys both required and optional" % tw)
            if req and ta["requireServiceAccount"] is False:
                raise BadConfig("%s: requireServiceAccount false with required keys" % tw)
    return providers


# --- one exec ---------------------------------------------------------------

def go_json(obj):
    """json.Marshal's bytes: compact, keys of maps sorted, HTML escaped."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    for c, e in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(c, e)
    return text


def build_request(p, image, token, annotations):
    """The request bytes, or None when the kubelet would not run p."""
    req = '{"kind":"CredentialProviderRequest","apiVersion":%s,"image":%s' % (
        go_json(p["apiVersion"]), go_json(image))
    ta = p.get("tokenAttributes")
    if ta is not None:
        if not token:
            if ta["requireServiceAccount"]:
                raise Failure("the pod has no service account and the provider "
                              "requires one: the kubelet does not run it")
        else:
            sent = {}
            for k in ta.get("requiredServiceAccountAnnotationKeys") or []:
                if k not in annotations:
                    raise Failure("required annotation %s not found: the kubelet "
                                  "does not run it" % k)
                sent[k] = annotations[k]
            for k in ta.get("optionalServiceAccountAnnotationKeys") or []:
                if k in annotations:
                    sent[k] = annotations[k]
            req += ',"serviceAccountToken":%s' % go_json(token)
            if sent:
                req += ',"serviceAccountAnnotations":%s' % go_json(
                    dict(sorted(sent.items())))
    return (req + "}\n").encode()


def run_plugin(path, args, env, request, limit):
    """(stdout, stderr) of a zero exit; Failure otherwise."""
    try:
        proc = subprocess.Popen([path] + args, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
    except OSError as e:
        raise Failure("error execing credential provider plugin: %s" % e)
    try:
        out, err = proc.communicate(request, timeout=limit)
    except subprocess.TimeoutExpired:
        # The kubelet kills the plugin (not its children) when its context ends.
        proc.kill()
        try:
            proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        raise Failure("error execing credential provider plugin: context deadline "
                      "exceeded (killed after %gs)" % limit)
    if proc.returncode != 0:
        raise Failure("error execing credential provider plugin: exit status %d: %s"
                      % (proc.returncode, err.decode(errors="replace").strip()))
    return out, err


def strict_json(data):
    def pairs(items):
        seen = {}
        for k, v in items:
            if k in seen:
                raise Failure('error decoding credential provider plugin response: '
                              'duplicate field "%s"' % k)
            seen[k] = v
        return seen
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=pairs)
    except (UnicodeDecodeError, ValueError) as e:
        raise Failure("error decoding credential provider plugin response: %s" % e)


def check_response(p, image, token, out):
    """The decoded response of p, checked as the kubelet checks it."""
    doc = strict_json(out)
    if not isinstance(doc, dict):
        raise Failure("error reading GVK from response: not an object")
    api = doc.get("apiVersion")
    if api != p["apiVersion"]:
        raise Failure("apiVersion from credential plugin response did not match "
                      "expected apiVersion:%s, actual apiVersion:%s"
                      % (p["apiVersion"], api))
    if doc.get("kind") != "CredentialProviderResponse":
        raise Failure('failed to decode CredentialProviderResponse, unexpected Kind: "%s"'
                      % doc.get("kind"))
    for k in doc:
        if k not in ("kind", "apiVersion", "cacheKeyType", "cacheDuration", "auth"):
            raise Failure('strict decoding error: unknown field "%s"' % k)
    kt = doc.get("cacheKeyType")
    if kt not in ("Image", "Registry", "Global"):
        raise Failure("credential provider plugin did not return a valid "
                      "cacheKeyType: %r" % (kt,))
    dur = doc.get("cacheDuration")
    ns = None
    if dur is not None:
        if not isinstance(dur, str):
            raise Failure("cacheDuration is not a string: %r" % (dur,))
        try:
            ns = parse_duration(dur)
        except ValueError as e:
            raise Failure("cacheDuration: time: %s" % e)
    auth = doc.get("auth")
    if auth is None:
        auth = {}
    if not isinstance(auth, dict):
        raise Failure("auth is not an object")
    shown = {}
    for key, entry in auth.items():
        if not isinstance(entry, dict):
            raise Failure('auth["%s"] is not an object' % key)
        for k, v in entry.items():
            if k not in ("username", "password"):
                raise Failure('strict decoding error: unknown field "auth[%s].%s"' % (key, k))
            if v is not None and not isinstance(v, str):
                raise Failure('auth["%s"].%s is not a string' % (key, k))
        password = entry.get("password") or ""
        ct = (p.get("tokenAttributes") or {}).get("cacheType")
        if token and password == token and ct != "Token":
            raise Failure("credential provider plugin returned the service account "
                          "token as the password for image %r, which is not allowed "
                          "when service account cache type is not set to 'Token'" % image)
        shown[key] = {"username": entry.get("username") or "", "password": password,
                      "matches": auth_key_matches(key, image)}
    if not any(v["matches"] for v in shown.values()):
        raise Failure("no auth key of the response (%s) matches the image %s: the "
                      "kubelet would pull without credentials"
                      % (", ".join(sorted(shown)) or "none", image))
    return {"provider": p["name"], "apiVersion": api, "cacheKeyType": kt,
            "cacheDuration": dur, "cacheSeconds": None if ns is None else ns / 1e9,
            "auth": shown}


# --- self checks -------------------------------------------------------------

def check_match_file(path):
    """Run match.txt (see its comment) through this file's matching."""
    bad = 0
    with open(path, encoding="utf-8") as f:
        for nr, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            kind, pattern, image, want = line.split("\t")
            got = (urls_match(pattern, image) if kind == "image"
                   else auth_key_matches(pattern, image))
            ok = got == (want == "match")
            bad += not ok
            print("%s - %s:%d: %s %s %s %s" % ("ok" if ok else "not ok", os.path.basename(path),
                                               nr, kind, pattern, want, image))
    return bad


def check_duration_files(paths):
    """Go's parseDurationTests (IN, ok|!, NANOSECONDS) and duration.txt
    (SECONDS, TEXT): every text Go writes parses back to its value."""
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for nr, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                fields = line.split("\t")
                where = "%s:%d" % (os.path.basename(path), nr)
                if len(fields) == 3:
                    text, want, ns = fields
                else:
                    ns, text = fields
                    want = "!" if text == "!" else "ok"
                    ns = str(int(ns) * 10**9)
                    if text == "!":
                        continue
                try:
                    got = parse_duration(text)
                    ok = want == "ok" and got == int(ns)
                except ValueError:
                    got = None
                    ok = want == "!"
                bad += not ok
                print("%s - %s: ParseDuration(%r) = %s" % ("ok" if ok else "not ok", where,
                                                          text, got))
    return bad


def main():
    ap = argparse.ArgumentParser(description="Run a credential provider as a kubelet does.")
    ap.add_argument("--config")
    ap.add_argument("--bin-dir")
    ap.add_argument("--image")
    ap.add_argument("--provider")
    ap.add_argument("--sa-token")
    ap.add_argument("--sa-annotation", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=EXEC_LIMIT)
    ap.add_argument("--print-request", action="store_true")
    ap.add_argument("--check-match")
    ap.add_argument("--check-durations", nargs="+")
    a = ap.parse_args()

    if a.check_match:
        return 1 if check_match_file(a.check_match) else 0
    if a.check_durations:
        return 1 if check_duration_files(a.check_durations) else 0
    if not a.config or not a.image or not (a.bin_dir or a.print_request):
        ap.print_usage(sys.stderr)
        return 2
    annotations = {}
    for kv in a.sa_annotation:
        k, sep, v = kv.partition("=")
        if not sep:
            print("kubelet-driver: --sa-annotation takes KEY=VALUE", file=sys.stderr)
            return 2
        annotations[k] = v
    try:
        providers = read_config(a.config)
    except BadConfig as e:
        print("kubelet-driver: %s: %s" % (a.config, e), file=sys.stderr)
        return 2
    chosen = [p for p in providers if (not a.provider or p["name"] == a.provider)
              and any(urls_match(m, a.image) for m in p["matchImages"])]
    if not chosen:
        print("kubelet-driver: no provider%s matches the image %s"
              % (" " + a.provider if a.provider else "", a.image), file=sys.stderr)
        return 1
    failed = 0
    for p in chosen:
        try:
            request = build_request(p, a.image, a.sa_token, annotations)
            if a.print_request:
                sys.stdout.buffer.write(request)
                continue
            env = dict(os.environ)
            for e in p.get("env") or []:
                env[e["name"]] = str(e.get("value") or "")
            out, err = run_plugin(os.path.join(a.bin_dir, p["name"]),
                                  [str(x) for x in p.get("args") or []], env, request,
                                  a.timeout)
            if err:
                sys.stderr.write(err.decode(errors="replace"))
            result = check_response(p, a.image, a.sa_token, out)
            result["request"] = request.decode()
            print(json.dumps(result, sort_keys=True))
        except Failure as e:
            print("kubelet-driver: %s: %s" % (p["name"], e), file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
