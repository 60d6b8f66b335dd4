# SPDX-License-Identifier: MIT
"""parsecheck.py - what the format tests (syslog.sh, w3c.sh, containers.sh)
share: a parse and select run as JSON lines, held against the rows, the
rejects and the cut-off records an oracle in the test expects."""
import json
from rftest import check, run
import rftest

# the line ends a file may have, and whether its last line has one
ENDINGS = [(b"\n", True), (b"\r\n", True), (b"\n", False)]


def rows(out):
    """ringflow's --format=json output as a list of objects"""
    return [json.loads(l) for l in out.splitlines()]


def check_select(what, args, query, paths, want, rejects, cut):
    """run query (a select of the wanted names) over paths; want: the rows as
    json.loads gives them; rejects: how many lines the --rejects file must
    hold; cut: how many records the cut-off note must count (0: no note)"""
    rej = rftest.T + "/rej"
    rc, out, err = run(args + ["--format=json", "--rejects=" + rej, query] + paths)
    check(rc == 0, "%s: status %d %r" % (what, rc, err[:300]))
    got = rows(out)
    if check(len(got) == len(want), "%s: %d rows, want %d" % (what, len(got), len(want))):
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
        check(not bad, "%s: first difference %r" % (what, bad[:1]))
    nrej = len([x for x in open(rej, "rb").read().split(b"\n") if x])
    check(nrej == rejects, "%s: %d rejects, want %d" % (what, nrej, rejects))
    if cut:
        check(b"%d record" % cut in err and b"ended early" in err, "%s: %d cut off: %r" % (what, cut, err[:300]))
    else:
        check(b"ended early" not in err, "%s: none cut off: %r" % (what, err[:300]))
