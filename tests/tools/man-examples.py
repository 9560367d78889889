#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""man-examples.py PAGE RENDERED... - do a man page's examples read as written?

PAGE is the roff source, each RENDERED the page as man(1) shows it (plain
text, col -b) at some width.  Prints one line per problem, and exits 1 when
there is one:

  - a macro line where groff takes a quote for an argument's delimiter
    although a character follows it ({"a": "b"} as an argument of .B):
    groff drops that quote, and the rest of the argument shows apart;
  - a JSON object (a "{" and then a quoted key) in a RENDERED text that
    does not parse, as python3 -m json.tool would not; outside a string,
    "..." stands for more members, as the pages write;
  - an example of the source (a line of an .EX or .nf block, the argument
    of .B or .I) that the first RENDERED text does not hold as the source
    wrote it, quotes included.  Line breaks and runs of spaces count as
    one space, and a word hyphenated at the end of a line as whole.
"""
import json
import os
import re
import sys

# roff escapes the pages use, and what they show.
ESCAPES = {
    "\\(dq": '"', "\\(aq": "'", "\\(em": "\u2014", "\\(en": "\u2013",
    "\\-": "-", "\\e": "\\", "\\ ": " ", "\\~": " ", "\\&": "", "\\%": "",
    "\\|": "", "\\^": "", "\\)": "",
}
FONT = re.compile(r"\\f(\(..|\[[^]]*\]|.)")
ESCAPE = re.compile(r"\\(\(..|.)")


def unescape(text):
    """What text shows, or None when it holds an escape not known here."""
    text = FONT.sub("", text)
    out, i = [], 0
    for m in ESCAPE.finditer(text):
        if m.group(0) not in ESCAPES:
            return None
        out.append(text[i:m.start()])
        out.append(ESCAPES[m.group(0)])
        i = m.end()
    out.append(text[i:])
    return "".join(out)


def macro_args(line):
    """The arguments of a macro line as groff splits them, the quotes it
    takes as delimiters that a character other than a space follows, and
    the columns of the arguments it took as quoted."""
    args, lost, quoted, i, n = [], [], [], 0, len(line)
    while i < n:
        while i < n and line[i] == " ":
            i += 1
        if i >= n:
            break
        if line[i] == '"':
            quoted.append(i)
            i += 1
            arg = []
            while i < n:
                if line.startswith('""', i):
                    arg.append('"')
                    i += 2
                elif line[i] == '"':
                    i += 1
                    if i < n and line[i] != " ":
                        lost.append(i - 1)
                    break
                else:
                    arg.append(line[i])
                    i += 1
            args.append("".join(arg))
        else:
            j = i
            while j < n and line[j] != " ":
                j += 2 if line[j] == "\\" else 1
            args.append(line[i:j])
            i = j
    return args, lost, quoted


def examples(source):
    """(line number, text, lost quote columns) of the source's examples."""
    block = False
    for num, line in enumerate(source.splitlines(), 1):
        if re.match(r"^\.(EX|nf)\b", line):
            block = True
            continue
        if re.match(r"^\.(EE|fi)\b", line):
            block = False
            continue
        if line.startswith(".\\\"") or line.startswith("'\\\""):
            continue
        m = re.match(r"^\.([A-Za-z]+)\s*(.*)$", line)
        if not m:
            if block:
                yield num, line, []
            continue
        args, lost, quoted = macro_args(m.group(2))
        # .B and .I join their arguments with spaces: quotes there group
        # nothing, unless they hold all the text, and were meant to show.
        if m.group(1) in ("B", "I") and len(args) > 1:
            lost += quoted
        lost = [m.start(2) + c + 1 for c in sorted(lost)]
        if m.group(1) in ("B", "I") and args:
            yield num, m.group(2) if lost else " ".join(args), lost
        elif lost:
            yield num, line, lost


def json_objects(text):
    """Each "{" with a quoted key after it, up to its closing "}"; not the
    objects inside one."""
    end = 0
    for m in re.finditer(r'\{\s*"', text):
        if m.start() < end:
            continue
        depth, in_str, esc = 0, False, False
        for j in range(m.start(), len(text)):
            c = text[j]
            if in_str:
                if esc:
                    esc = False
                elif c == "\\":
                    esc = True
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    end = j + 1
                    yield text[m.start():end]
                    break
        else:
            end = len(text)
            yield text[m.start():]


def without_ellipses(obj):
    """obj with each "..." outside a string, and the comma before it, gone."""
    parts = re.split(r'("(?:[^"\\\n]|\\.)*")', obj)
    for k in range(0, len(parts), 2):
        parts[k] = re.sub(r",?\s*\.\.\.", "", parts[k])
    return "".join(parts)


def flat(text):
    """text with hyphenated line ends joined and every run of space one."""
    text = re.sub("\u2010\n\\s*", "", text)
    return re.sub(r"\s+", " ", text)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: man-examples.py PAGE RENDERED...")
    with open(sys.argv[1], encoding="utf-8") as f:
        source = f.read()
    rendered = []
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            rendered.append((path, f.read()))
    problems = []
    for path, text in rendered:
        for obj in json_objects(text):
            try:
                json.loads(without_ellipses(obj))
            except ValueError as e:
                problems.append("%s: JSON that does not parse (%s): %s"
                                % (os.path.basename(path), e, " ".join(obj.split())))
    shown = flat(rendered[0][1])
    for num, text, lost in examples(source):
        if lost:
            problems.append("%s:%d: groff takes the quotes at columns %s for "
                            "delimiters (\\(dq shows one): %s"
                            % (os.path.basename(sys.argv[1]), num, lost, text))
        want = unescape(text) if text and not text.startswith(".") else None
        if want and want.strip() and flat(want).strip() not in shown:
            problems.append("%s:%d: the page does not show: %s"
                            % (os.path.basename(sys.argv[1]), num, flat(want).strip()))
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
