#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""check-shm-structs.py - shared memory holds data only (DESIGN.md rule 1).

Structs that live in shared memory are named *_shm (or listed in
SHARED_STRUCTS, like struct mpdp_mbuf). This script finds every
definition of one (`struct NAME_shm {`, `union NAME_shm {`, and the trivial
typedef form `typedef struct {...} NAME_shm;` / `NAME_shm_t;`) in the .c and .h
files under include/, lib/ and drivers/, and reports each field that:

  - is a pointer (a `*` in its declarator, `_Atomic(T *)`, or a pointer typedef),
  - is a function pointer (`(*name)(...)`, or a function-pointer typedef),
  - looks like a file descriptor (named fd, *_fd, fds or *_fds; nb_* counts
    are not fds),
  - holds an address (uintptr_t, intptr_t),
  - has a struct or union type that is not itself a shared struct: only
    `struct mpdp_*_shm`, other *_shm structs defined in the scanned tree (they
    are checked too) and the ALLOWED_STRUCTS below may be embedded.

Fields of nested structs and unions, anonymous or named, are checked as part
of the struct they sit in. Comments, string literals and preprocessor lines are
ignored. Typedefs (`pthread_mutex_t`, `uint64_t`, ...) are plain data unless a
typedef in the scanned tree makes them a pointer, a function pointer or a
non-shm struct.

Usage: check-shm-structs.py [--root DIR] [PATH...]   (default: the repo root)
       check-shm-structs.py --self-test
Exit status: 0 when every shared struct is data-only, 1 otherwise, 2 on usage.
"""

import argparse
import bisect
import os
import re
import subprocess
import sys
import tempfile

SCAN_DIRS = ("include", "lib", "drivers")

# Struct types that are plain data although not named *_shm, each with a reason.
# Keep this short: a struct that is shared should be renamed *_shm instead.
ALLOWED_STRUCTS = {
    # "timespec": "two integers",
}

# Structs that live in shared memory under a name users know from DPDK, so
# they keep it instead of *_shm; they are checked exactly like *_shm structs.
SHARED_STRUCTS = {
    "mpdp_mbuf": "a packet buffer: metadata inside a mempool object",
    "mpdp_ether_addr": "six bytes of an Ethernet address, in packets and port slots",
    "mpdp_eth_link": "link speed and flags, published by the primary in the port slot",
}

# Integer typedefs whose only use is to hold a process virtual address.
ADDRESS_TYPES = {"uintptr_t", "intptr_t"}

SHM_NAME_RE = re.compile(r"^\w+_shm$")
SHM_TYPEDEF_RE = re.compile(r"^\w+_shm(?:_t)?$")
MPDP_SHM_RE = re.compile(r"^mpdp_\w*_shm$")
FD_NAME_RE = re.compile(r"^(?:\w+_)?fds?$")
ATTR_MACRO_RE = re.compile(r"^(?:MPDP_[A-Z0-9_]*|__\w+)$")
STATIC_ASSERTS = {"_Static_assert", "static_assert", "MPDP_STATIC_ASSERT"}

QUALIFIERS = {"const", "volatile", "restrict", "__restrict", "_Atomic", "register",
              "static", "extern", "inline", "_Thread_local", "thread_local",
              "_Noreturn", "__extension__"}
BUILTIN_TYPES = {"void", "char", "short", "int", "long", "float", "double", "signed",
                 "unsigned", "_Bool", "bool", "_Complex", "__int128"}
TAG_KEYWORDS = {"struct", "union", "enum"}
ATTR_KEYWORDS = {"__attribute__", "__attribute", "_Alignas", "alignas", "__declspec",
                 "__typeof__", "typeof"}

TOKEN_RE = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\S")


# --- lexing -------------------------------------------------------------------

def strip_source(src):
    """Blank comments, string/char literals and preprocessor lines, keeping
    every newline so that line numbers stay right."""
    out = []
    i, n = 0, len(src)
    line_start = True
    directive = False

    def blank(s):
        return re.sub(r"[^\n]", " ", s)

    while i < n:
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(blank(src[i:j]))
            i = j
            continue
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(src[i:j]))
            i = j
            continue
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n) if j < n and src[j] == c else j
            out.append(blank(src[i:j]))
            i = j
            line_start = False
            continue
        if c == "\n":
            k = i - 1 if i > 0 and src[i - 1] == "\r" else i
            if directive and not (k > 0 and src[k - 1] == "\\"):
                directive = False
            line_start = True
            out.append(c)
            i += 1
            continue
        if c == "#" and line_start:
            directive = True
        if not c.isspace():
            line_start = False
        out.append(" " if directive else c)
        i += 1
    return "".join(out)


class Tok:
    __slots__ = ("text", "line", "group")

    def __init__(self, text, line, group=None):
        self.text = text
        self.line = line
        self.group = group  # for "{}" markers: (open index, close index)

    def __repr__(self):
        return f"Tok({self.text!r}, {self.line})"


def tokenize(src):
    text = strip_source(src)
    newlines = [m.start() for m in re.finditer("\n", text)]
    return [Tok(m.group(), bisect.bisect_left(newlines, m.start()) + 1)
            for m in TOKEN_RE.finditer(text)]


def is_ident(s):
    return bool(re.match(r"^[A-Za-z_]\w*$", s))


def match_close(toks, i):
    """Index of the bracket closing the one at toks[i] (or len(toks))."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    opening = toks[i].text
    closing = pairs[opening]
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j].text
        if t == opening:
            depth += 1
        elif t == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(toks)


def skip_attrs(toks, j):
    """Skip attributes (`__attribute__((...))`, `_Alignas(...)`, MPDP_ macros)."""
    while j < len(toks):
        t = toks[j].text
        if t in ATTR_KEYWORDS or (is_ident(t) and ATTR_MACRO_RE.match(t)):
            j += 1
            if j < len(toks) and toks[j].text == "(":
                j = match_close(toks, j) + 1
            continue
        break
    return j


# --- typedefs -----------------------------------------------------------------

class Typedefs:
    """What the typedefs of the scanned tree name: pointer, function pointer,
    struct (with its tag, or None when anonymous), or an alias of another."""

    def __init__(self):
        self.kinds = {}

    def resolve(self, name, depth=0):
        k = self.kinds.get(name)
        if k and k[0] == "alias" and depth < 16:
            return self.resolve(k[1], depth + 1) or k
        return k


def split_top(toks, sep):
    """Split a token list at separators that are outside (), [] and {}."""
    pieces, cur, depth = [], [], 0
    for t in toks:
        if t.text in "([":
            depth += 1
        elif t.text in ")]":
            depth -= 1
        if t.text == sep and depth == 0:
            pieces.append(cur)
            cur = []
        else:
            cur.append(t)
    pieces.append(cur)
    return pieces


def parse_decl(decl):
    """Split a declaration (tokens, nested bodies as "{}" markers) into its
    specifiers and declarators.

    Returns (spec, declarators) where spec is a dict with:
      tag_kw ("struct"/"union"/"enum"/None), tag (str/None), body (marker/None),
      typename (a typedef name or None), atomic_ptr (bool), builtin (bool)
    and each declarator a dict: name, line, pointer, fnptr.
    """
    # Drop attributes anywhere in the declaration.
    toks = []
    i = 0
    while i < len(decl):
        t = decl[i].text
        if t in ATTR_KEYWORDS or (is_ident(t) and ATTR_MACRO_RE.match(t)):
            i += 1
            if i < len(decl) and decl[i].text == "(":
                i = match_close(decl, i) + 1
            continue
        toks.append(decl[i])
        i += 1

    spec = {"tag_kw": None, "tag": None, "body": None, "typename": None,
            "atomic_ptr": False, "builtin": False}
    i = 0
    while i < len(toks):
        t = toks[i].text
        if t == "_Atomic" and i + 1 < len(toks) and toks[i + 1].text == "(":
            close = match_close(toks, i + 1)
            inner = toks[i + 2:close]
            if any(x.text == "*" for x in inner):
                spec["atomic_ptr"] = True
            sub, _ = parse_decl(inner)
            for k in ("tag_kw", "tag", "typename", "builtin"):
                spec[k] = spec[k] or sub[k]
            i = close + 1
            continue
        if t in QUALIFIERS:
            i += 1
            continue
        if t in BUILTIN_TYPES:
            spec["builtin"] = True
            i += 1
            continue
        if t in TAG_KEYWORDS and not (spec["tag_kw"] or spec["typename"]):
            spec["tag_kw"] = t
            i += 1
            if i < len(toks) and is_ident(toks[i].text) and toks[i].text != "{}":
                spec["tag"] = toks[i].text
                i += 1
            if i < len(toks) and toks[i].text == "{}":
                spec["body"] = toks[i]
                i += 1
            continue
        if (is_ident(t) and not (spec["builtin"] or spec["tag_kw"] or spec["typename"])):
            spec["typename"] = t
            i += 1
            continue
        break

    declarators = []
    rest = toks[i:]
    if not rest:
        return spec, declarators
    for piece in split_top(rest, ","):
        piece = split_top(piece, ":")[0]  # drop a bit-field width
        # Drop array sizes: they are expressions, not part of the type shape.
        shape = []
        j = 0
        while j < len(piece):
            if piece[j].text == "[":
                j = match_close(piece, j) + 1
                continue
            if piece[j].text == "=":  # an initializer (typedefs never have one)
                break
            shape.append(piece[j])
            j += 1
        names = [x for x in shape if is_ident(x.text) and x.text not in QUALIFIERS]
        if not names:
            continue
        name = names[0]
        pointer = any(x.text == "*" for x in shape)
        fnptr = False
        for k, x in enumerate(shape):
            if x.text == "(" and k + 1 < len(shape) and shape[k + 1].text == "*":
                close = match_close(shape, k)
                if close + 1 < len(shape) and shape[close + 1].text == "(":
                    fnptr = True
                break
        declarators.append({"name": name.text, "line": name.line,
                            "pointer": pointer, "fnptr": fnptr})
    return spec, declarators


def collect_decl(toks, i, end):
    """Tokens of one declaration from toks[i] up to the `;` that ends it, with
    brace groups replaced by "{}" markers. Returns (decl, index after `;`)."""
    decl = []
    while i < end and toks[i].text != ";":
        if toks[i].text == "{":
            close = min(match_close(toks, i), end)
            decl.append(Tok("{}", toks[i].line, (i, close)))
            i = close + 1
            continue
        decl.append(toks[i])
        i += 1
    return decl, i + 1


def collect_typedefs(toks, typedefs):
    depth = 0
    i = 0
    while i < len(toks):
        t = toks[i].text
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        elif t == "typedef" and depth == 0:
            decl, nxt = collect_decl(toks, i + 1, len(toks))
            spec, decls = parse_decl(decl)
            for d in decls:
                if d["fnptr"]:
                    kind = ("fnptr",)
                elif d["pointer"] or spec["atomic_ptr"]:
                    kind = ("pointer",)
                elif spec["tag_kw"] in ("struct", "union"):
                    kind = ("struct", spec["tag_kw"], spec["tag"], d["name"])
                elif spec["typename"]:
                    kind = ("alias", spec["typename"])
                else:
                    kind = ("data",)
                typedefs.kinds[d["name"]] = kind
            i = nxt
            continue
        i += 1


# --- the check ----------------------------------------------------------------

class Checker:
    def __init__(self, typedefs, shm_tags):
        self.typedefs = typedefs
        self.shm_tags = shm_tags  # tags of *_shm structs defined in the tree
        self.findings = []        # (path, line, struct, field, kind, message)

    def struct_allowed(self, tag):
        return (MPDP_SHM_RE.match(tag) is not None or tag in self.shm_tags
                or tag in ALLOWED_STRUCTS or tag in SHARED_STRUCTS)

    def report(self, ctx, line, field, kind, msg):
        path, sname = ctx
        self.findings.append((path, line, sname, field, kind, msg))

    def check_body(self, toks, i, end, ctx, prefix=""):
        while i < end:
            decl, i = collect_decl(toks, i, end)
            if not decl or decl[0].text in STATIC_ASSERTS:
                continue
            self.check_member(toks, decl, ctx, prefix)

    def check_member(self, toks, decl, ctx, prefix):
        spec, decls = parse_decl(decl)
        body = spec["body"]
        if body is not None and spec["tag_kw"] in ("struct", "union"):
            # Nested struct/union: its fields are part of this struct. A
            # named member prefixes them ("inner.x").
            sub = prefix + (decls[0]["name"] + "." if len(decls) == 1 else "")
            self.check_body(toks, body.group[0] + 1, body.group[1], ctx, sub)
        for d in decls:
            field = prefix + d["name"]
            line = d["line"]
            td = self.typedefs.resolve(spec["typename"]) if spec["typename"] else None
            if d["fnptr"]:
                self.report(ctx, line, field, "fnptr", "is a function pointer")
            elif d["pointer"] or spec["atomic_ptr"]:
                self.report(ctx, line, field, "pointer", "is a pointer")
            elif td and td[0] == "fnptr":
                self.report(ctx, line, field, "fnptr",
                            f"is a function pointer (type {spec['typename']})")
            elif td and td[0] == "pointer":
                self.report(ctx, line, field, "pointer",
                            f"is a pointer (type {spec['typename']})")
            elif spec["typename"] in ADDRESS_TYPES or \
                    (td and td[0] == "alias" and td[1] in ADDRESS_TYPES):
                self.report(ctx, line, field, "address",
                            f"holds an address (type {spec['typename']}): use an offset")
            elif spec["tag_kw"] in ("struct", "union") and spec["tag"] is not None:
                if not self.struct_allowed(spec["tag"]):
                    self.report(ctx, line, field, "struct",
                                f"has type {spec['tag_kw']} {spec['tag']}, "
                                "which is not a *_shm struct")
            elif td and td[0] == "struct":
                _, kw, tag, _ = td
                # A tagged struct must be a shared one; an anonymous one is
                # checked itself when its typedef name is *_shm / *_shm_t.
                if not (self.struct_allowed(tag) if tag is not None
                        else SHM_TYPEDEF_RE.match(spec["typename"])):
                    what = f"{kw} {tag}" if tag else f"an anonymous {kw}"
                    self.report(ctx, line, field, "struct",
                                f"has type {spec['typename']} ({what}), "
                                "which is not a *_shm struct")
            name = d["name"]
            if FD_NAME_RE.match(name) and not name.startswith(("nb_", "n_", "num_")):
                self.report(ctx, line, field, "fd",
                            "looks like a file descriptor: fds are per process, "
                            "send them over IPC")


def find_definitions(toks):
    """Yield (name, line, body open index, body close index) for each *_shm
    struct or union defined in toks (not those nested in another one)."""
    i = 0
    while i < len(toks):
        t = toks[i].text
        if t in ("struct", "union") and i + 1 < len(toks) and \
                (SHM_NAME_RE.match(toks[i + 1].text) or toks[i + 1].text in SHARED_STRUCTS):
            j = skip_attrs(toks, i + 2)
            if j < len(toks) and toks[j].text == "{":
                close = match_close(toks, j)
                yield toks[i + 1].text, toks[i + 1].line, j, close
                i = close + 1
                continue
        elif t == "typedef" and i + 1 < len(toks) and toks[i + 1].text in ("struct", "union"):
            j = skip_attrs(toks, i + 2)
            if j < len(toks) and toks[j].text == "{":
                close = match_close(toks, j)
                k = skip_attrs(toks, close + 1)
                if k < len(toks) and SHM_TYPEDEF_RE.match(toks[k].text):
                    yield toks[k].text, toks[k].line, j, close
                i = close + 1
                continue
        i += 1


def source_files(root, paths):
    if paths:
        tops = [p if os.path.isabs(p) else os.path.join(root, p) for p in paths]
    else:
        tops = [os.path.join(root, d) for d in SCAN_DIRS]
    for top in tops:
        if os.path.isfile(top):
            yield top
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith((".c", ".h")):
                    yield os.path.join(dirpath, f)


def check_tree(root, paths=()):
    """Return (number of shm structs, findings)."""
    files = []
    for path in source_files(root, paths):
        with open(path, encoding="utf-8", errors="replace") as f:
            files.append((os.path.relpath(path, root), tokenize(f.read())))

    typedefs = Typedefs()
    shm_tags = set()
    defs = []
    for rel, toks in files:
        collect_typedefs(toks, typedefs)
        for d in find_definitions(toks):
            defs.append((rel, toks, d))
            shm_tags.add(d[0])

    checker = Checker(typedefs, shm_tags)
    for rel, toks, (name, line, open_i, close_i) in defs:
        checker.check_body(toks, open_i + 1, close_i, (rel, name))
    return len(defs), checker.findings


def run(root, paths, out=sys.stdout):
    count, findings = check_tree(root, paths)
    for path, line, sname, field, _kind, msg in findings:
        print(f"{path}:{line}: struct {sname}: field '{field}' {msg}", file=out)
    if findings:
        print(f"check-shm-structs: {len(findings)} problem(s) in {count} structs "
              "(DESIGN.md rule 1: shared memory holds data only)", file=out)
        return 1
    print(f"check-shm-structs: {count} structs, all data-only", file=out)
    return 0


# --- self-test ----------------------------------------------------------------

SELFTEST_BAD_H = r"""
#include <stdint.h>
struct mpdp_bad_shm;                 /* a forward declaration is no definition */
typedef void (*bad_cb_t)(void *arg);
typedef struct mpdp_plain bad_plain_t;
typedef uint8_t *bad_bytes_t;
typedef struct { int x; } bad_anon_t;
struct bad_local { int x; };

struct mpdp_bad_shm {
	uint64_t ok;                 /* (I) not a problem; int *q in a comment */
	void *ptr;
	char *names[4];
	int (*fn)(int a, int b);
	bad_cb_t cb;
	bad_bytes_t bytes;
	int fd;
	int32_t kick_fd, call_fds[2];
	int fds[8];
	struct bad_local local;
	struct timespec ts;
	bad_plain_t plain;
	bad_anon_t anon;
	_Atomic(void *) aptr;
	uintptr_t addr;
	union {
		uint64_t u;
		const char *s;
	};
	struct {
		int x;
		struct mpdp_bad_shm *next;
	} inner;
	uint64_t a, *b;
	void (*ops[2])(void);
} __attribute__((aligned(64)));

typedef struct __attribute__((aligned(64))) {
	void *p;
} bad_anon_shm_t;
"""

SELFTEST_BAD_C = r"""
#include <stdio.h>
union lib_bad_shm {
	FILE *f;
	int sock_fd;
};
"""

SELFTEST_BAD_EXPECT = {
    ("mpdp_bad_shm", "ptr", "pointer"),
    ("mpdp_bad_shm", "names", "pointer"),
    ("mpdp_bad_shm", "fn", "fnptr"),
    ("mpdp_bad_shm", "cb", "fnptr"),
    ("mpdp_bad_shm", "bytes", "pointer"),
    ("mpdp_bad_shm", "fd", "fd"),
    ("mpdp_bad_shm", "kick_fd", "fd"),
    ("mpdp_bad_shm", "call_fds", "fd"),
    ("mpdp_bad_shm", "fds", "fd"),
    ("mpdp_bad_shm", "local", "struct"),
    ("mpdp_bad_shm", "ts", "struct"),
    ("mpdp_bad_shm", "plain", "struct"),
    ("mpdp_bad_shm", "anon", "struct"),
    ("mpdp_bad_shm", "aptr", "pointer"),
    ("mpdp_bad_shm", "addr", "address"),
    ("mpdp_bad_shm", "s", "pointer"),
    ("mpdp_bad_shm", "inner.next", "pointer"),
    ("mpdp_bad_shm", "b", "pointer"),
    ("mpdp_bad_shm", "ops", "fnptr"),
    ("bad_anon_shm_t", "p", "pointer"),
    ("lib_bad_shm", "f", "pointer"),
    ("lib_bad_shm", "sock_fd", "fd"),
}

SELFTEST_GOOD_H = r"""
#include <pthread.h>
#include <stdint.h>
/* struct comment_shm { void *p; };  in a comment: ignored */
#define DECLARE_SHM struct macro_shm { void *p; }
#define LONG_MACRO struct macro2_shm { \
	void *p; }
typedef struct mpdp_inner_shm mpdp_inner_shm_t;
typedef uint64_t mpdp_off_t;

struct mpdp_inner_shm {
	uint64_t off;                        /* (I) */
};

struct mpdp_good_shm {
	char name[MPDP_NAME_SIZE];           /* (I) name, not a char *  */
	uint64_t base_off;                   // offset, not void *base;
	uint32_t ring[16 * 4];
	uint8_t pad[sizeof(uint64_t) * 2];
	pthread_mutex_t lock;                /* a typedef: plain data */
	struct mpdp_inner_shm inner[4];
	mpdp_inner_shm_t inner2;
	struct good_local_shm local;         /* *_shm, defined below, checked */
	_Atomic uint64_t head MPDP_CACHE_ALIGNED;
	_Atomic(uint32_t) tail;
	uint32_t flags : 3, : 5, mode : 2;
	uint32_t nb_fds;                     /* a count, not an fd */
	int fdir_mode;
	int fd_count;
	mpdp_off_t next;
	union {
		uint64_t u64;
		uint32_t u32[2];
	};
	struct {
		uint16_t a, b;
	} pair;
	enum { GOOD_X, GOOD_Y } kind;
	unsigned long long big;
	const char label[8];
	_Static_assert(1, "static asserts may sit in a struct");
	uint8_t data[];
} __attribute__((aligned(64)));

struct good_local_shm {
	uint32_t x;
};

struct not_shared {
	void *p;                             /* not *_shm: not checked */
};
"""

SELFTEST_GOOD_C = r"""
#include "good.h"
static const char *s = "struct str_shm { void *p; }";
static char c = '{';
static struct mpdp_good_shm *get(struct mpdp_good_shm *p)
{
	struct mpdp_good_shm *q = p;
	return q;
}
static struct mpdp_good_shm g = { .big = 1 };
"""


def self_test():
    failures = []
    with tempfile.TemporaryDirectory(prefix="check-shm-structs.") as tmp:
        bad, good = os.path.join(tmp, "bad"), os.path.join(tmp, "good")
        for root, files in ((bad, {"include/mpdp/bad.h": SELFTEST_BAD_H,
                                   "lib/x/bad.c": SELFTEST_BAD_C}),
                            (good, {"include/mpdp/good.h": SELFTEST_GOOD_H,
                                    "lib/x/good.c": SELFTEST_GOOD_C})):
            for rel, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
                with open(os.path.join(root, rel), "w") as f:
                    f.write(text)

        count, findings = check_tree(bad)
        got = {(s, f, k) for _p, _l, s, f, k, _m in findings}
        for miss in sorted(SELFTEST_BAD_EXPECT - got):
            failures.append(f"bad: not flagged: struct {miss[0]} field {miss[1]} ({miss[2]})")
        for extra in sorted(got - SELFTEST_BAD_EXPECT):
            failures.append(f"bad: wrongly flagged: struct {extra[0]} field {extra[1]} "
                            f"({extra[2]})")
        if count != 3:
            failures.append(f"bad: found {count} shm structs, expected 3")
        lines = {(p, ln) for p, ln, *_ in findings}
        if ("include/mpdp/bad.h", 12) not in lines:  # `void *ptr;`
            failures.append(f"bad: line numbers are off: {sorted(lines)[:3]}")

        count, findings = check_tree(good)
        for p, ln, s, f, k, m in findings:
            failures.append(f"good: wrongly flagged: {p}:{ln}: struct {s}: field '{f}' {m}")
        if count != 3:
            failures.append(f"good: found {count} shm structs, expected 3")

        # The command line: exit status and the summary line.
        for root, want in ((bad, 1), (good, 0)):
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--root", root],
                               capture_output=True, text=True)
            if p.returncode != want:
                failures.append(f"{os.path.basename(root)}: exit status {p.returncode}, "
                                f"expected {want}\n{p.stdout}{p.stderr}")
            elif want == 0 and p.stdout.strip() != \
                    "check-shm-structs: 3 structs, all data-only":
                failures.append(f"good: unexpected output: {p.stdout!r}")
            elif want == 1 and "bad.h:12: struct mpdp_bad_shm: field 'ptr' is a pointer" \
                    not in p.stdout:
                failures.append(f"bad: unexpected output: {p.stdout!r}")

    for f in failures:
        print(f"check-shm-structs --self-test: FAIL: {f}")
    if failures:
        return 1
    print(f"check-shm-structs --self-test: OK ({len(SELFTEST_BAD_EXPECT)} bad fields "
          "flagged, good structs pass)")
    return 0


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description="Check that *_shm structs hold data only (DESIGN.md rule 1).")
    ap.add_argument("--root", default=os.path.dirname(here),
                    help="repository root (default: the one holding this script)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the checker on built-in good and bad examples")
    ap.add_argument("paths", nargs="*",
                    help="files or folders to scan, relative to the root "
                         f"(default: {' '.join(SCAN_DIRS)})")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    return run(args.root, args.paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
