#!/usr/bin/env python3
"""Check doc/tfdrift.1 against the command and option table (`tfdrift help --table`).

usage: man_check.py TABLE MANPAGE
       man_check.py --env SRCDIR MANPAGE

TABLE has lines "command<TAB>NAME" and "option<TAB>COMMAND<TAB>SHORT<TAB>LONG<TAB>ARG" (SHORT
and ARG "-" for none). The man page's COMMANDS section gives each command as a top-level
tagged paragraph (.TP then .B NAME, NAME possibly two words: "rules check") and its options
as the tagged paragraphs of the .RS/.RE block that follows (.TP then .B/.BI/.BR with the
option, e.g. `.BI \\-\\-format " FMT"`; one tag may name several: `--since T, --until T`).
Every command of the table must have a section (a parent with subcommands: theirs) and
vice versa, and each section's options
must be the command's options in the table (--help is documented once, in the SYNOPSIS),
an option matching by its long name or, for one the man page gives short (-o FILE), its short
one. Prints each disagreement; exits 1 if there is any.

With --env: the names the sources read (string literals given to getenv(), env() or
tf_xdg_dir()) must each be named in a tag of the man page's ENVIRONMENT section, and each
name there must be read: a string literal in the sources, or a name built from one
("AWS_ENDPOINT_URL_%s" and "S3"; "TF_TOKEN_" and a host), or a locale variable when the
sources call setlocale(LC_..., "").
"""
import os
import re
import sys


def unroff(line):
    line = re.sub(r'\\f[BIRP]', '', line)
    line = line.replace('\\-', '-').replace('\\(em', '-').replace('\\&', '')
    return line


def man_sections(path):
    """{command: set of option words ('--format', '-o')} from the COMMANDS section."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    secs = {}
    order = []
    insec = False
    depth = 0
    cur = None
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith('.SH '):
            insec = ln.strip() == '.SH COMMANDS'
            depth = 0
            cur = None
        elif insec and ln.startswith('.RS'):
            depth += 1
        elif insec and ln.startswith('.RE'):
            depth = max(0, depth - 1)
        elif insec and ln.strip() == '.TP' and i + 1 < len(lines):
            tag = unroff(lines[i + 1])
            if depth == 0:
                m = re.match(r'\.B\s+"?([a-z][a-z ]*?)"?\s*$', tag)
                if m:
                    cur = m.group(1).strip()
                    secs.setdefault(cur, set())
                    order.append(cur)
                else:
                    cur = None
            elif depth == 1 and cur is not None and tag.startswith('.B'):
                body = tag.split(None, 1)[1] if ' ' in tag else ''
                words = set(re.findall(r'(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])', body))
                secs[cur] |= words
            i += 1
        i += 1
    return secs, order


def table(path):
    cmds, opts = [], {}
    with open(path, encoding='utf-8') as f:
        for ln in f:
            p = ln.rstrip('\n').split('\t')
            if p[0] == 'command':
                cmds.append(p[1])
                opts.setdefault(p[1], [])
            elif p[0] == 'option':
                opts[p[1]].append((p[2] if p[2] != '-' else None, p[3]))
    return cmds, opts


def env_check(srcdir, manpage):
    lits = set()
    read = set()
    uses_setlocale = False
    for root, _, files in os.walk(srcdir):
        for fn in files:
            if not fn.endswith(('.c', '.h')):
                continue
            with open(os.path.join(root, fn), encoding='utf-8', errors='replace') as f:
                text = f.read()
            lits |= set(re.findall(r'"([A-Za-z_][A-Za-z0-9_%]*)"', text))
            uses_setlocale = uses_setlocale or re.search(r'setlocale\(LC_[A-Z]+, ""\)', text) is not None
            read |= set(re.findall(r'\b(?:getenv|env|tf_xdg_dir)\("([A-Z][A-Z0-9_]*)"', text))
    with open(manpage, encoding='utf-8') as f:
        lines = f.read().split('\n')
    doc = set()
    insec = False
    for i, ln in enumerate(lines):
        if ln.startswith('.SH '):
            insec = ln.strip() == '.SH ENVIRONMENT'
        elif insec and ln.strip() == '.TP' and i + 1 < len(lines):
            doc |= set(re.findall(r'\b([A-Z][A-Z0-9]*_[A-Za-z0-9_]+|[A-Z]{3,})\b', unroff(lines[i + 1])))
    bad = []
    for n in sorted(read - doc):
        bad.append('%s is read (src/) but not in the man page\'s ENVIRONMENT' % n)
    for n in sorted(doc):
        if n in lits:
            continue
        # The locale variables are read by the C library's setlocale(LC_..., "").
        if (n == 'LANG' or n.startswith('LC_')) and uses_setlocale:
            continue
        built = any(n.startswith(l[:-2]) and n[len(l) - 2:] in lits
                    for l in lits if l.endswith('%s')) or \
            any(n.startswith(l) and l.endswith('_') for l in lits)
        if not built:
            bad.append('%s is in the man page\'s ENVIRONMENT but src/ never reads it' % n)
    return bad


def main():
    if sys.argv[1] == '--env':
        bad = env_check(sys.argv[2], sys.argv[3])
        for b in bad:
            print(b)
        return 1 if bad else 0
    cmds, opts = table(sys.argv[1])
    secs, _ = man_sections(sys.argv[2])
    bad = []
    for c in cmds:
        # A parent (freeze, rules, config) is documented by its subcommands.
        if c not in secs and any(d.startswith(c + ' ') for d in cmds):
            continue
        if c not in secs:
            bad.append('command %s: not in the man page\'s COMMANDS' % c)
            continue
        words = secs[c]
        known = set()
        for short, lng in opts[c]:
            known.add('--' + lng)
            if short:
                known.add('-' + short)
            if lng == 'help':
                continue
            if '--' + lng not in words and not (short and '-' + short in words):
                bad.append('command %s: option --%s is not in its man page section' % (c, lng))
        for w in sorted(words - known):
            bad.append('command %s: the man page documents %s, which the table has not' % (c, w))
    for c in secs:
        if c not in opts:
            bad.append('man page command %s is not in the table' % c)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
