#!/usr/bin/env python3
"""Check (or update) the module's translations against its .pot template.

    python3 tools/i18n_check.py                 # check every i18n/*.po against the pot
    python3 tools/i18n_check.py i18n/ka.po      # check one file
    python3 tools/i18n_check.py --merge         # add new pot entries (empty msgstr), drop obsolete
                                                # ones, refresh references; then check

A po entry is complete when it has a non-empty msgstr (not fuzzy) and the same placeholders as
its msgid: python-format fields (%(name)s, %s, %d), inline-template expressions ({{ ... }}),
QWeb directives (t-out="...", t-esc, t-if...) and the same XML/HTML tags (names, counted).
Exit status 1 when an entry is missing, empty or mismatched; the lines printed say which.
Needs polib (in Odoo's requirements).
"""

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import polib

MODULE_DIR = Path(__file__).resolve().parent.parent
POT = MODULE_DIR / "i18n" / "customer_retention.pot"

PY_FORMAT = re.compile(r"%(?:\([^)]+\))?[sdrif%]")
INLINE = re.compile(r"\{\{.*?\}\}", re.S)
QWEB_ATTR = re.compile(r"""\bt-[\w-]+\s*=\s*("[^"]*"|'[^']*')""")
TAG = re.compile(r"</?\s*([A-Za-z][\w:.-]*)")


def placeholders(text):
    """The parts of a string a translation must keep as they are, as a Counter."""
    found = Counter()
    found.update(("py", m) for m in PY_FORMAT.findall(text) if m != "%%")
    found.update(("inline", re.sub(r"\s+", "", m)) for m in INLINE.findall(text))
    found.update(("qweb", m) for m in QWEB_ATTR.findall(text))
    found.update(("tag", m.lower()) for m in TAG.findall(text))
    return found


def describe(counter):
    return ", ".join(
        sorted(
            f"{kind}:{value}" + (f" x{n}" if n > 1 else "") for (kind, value), n in counter.items()
        )
    )


def check_entry(entry):
    """Return a problem description for one po entry, or None when it is fine."""
    if not entry.msgstr.strip():
        return "untranslated"
    if entry.fuzzy:
        return "fuzzy"
    for side, strip in (("leading", str.lstrip), ("trailing", str.rstrip)):
        if (
            entry.msgid != strip(entry.msgid)
            and entry.msgstr == strip(entry.msgstr)
            and "\n" not in entry.msgid
        ):
            return f"{side} space of the msgid lost (the code joins this text to others)"
    expected, got = placeholders(entry.msgid), placeholders(entry.msgstr)
    if expected != got:
        missing, extra = expected - got, got - expected
        parts = []
        if missing:
            parts.append("missing " + describe(missing))
        if extra:
            parts.append("unexpected " + describe(extra))
        return "placeholders differ: " + "; ".join(parts)
    return None


def check(po_path, pot):
    """Problems of one po file against the pot, as a list of (msgid, problem)."""
    po = polib.pofile(str(po_path))
    by_id = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    problems = []
    for ref in pot:
        entry = by_id.get((ref.msgctxt, ref.msgid))
        if entry is None:
            problems.append((ref.msgid, "missing from the po file"))
            continue
        problem = check_entry(entry)
        if problem:
            problems.append((ref.msgid, problem))
    pot_ids = {(e.msgctxt, e.msgid) for e in pot}
    for key in by_id:
        if key not in pot_ids:
            problems.append((key[1], "obsolete: not in the pot (run --merge)"))
    return problems


def merge(po_path, pot):
    """Align a po file on the pot: new entries with an empty msgstr, obsolete ones dropped,
    references and comments taken from the pot, translations kept. Returns (added, dropped)."""
    po = polib.pofile(str(po_path), wrapwidth=78)
    old = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    merged = polib.POFile(wrapwidth=78)
    merged.header = po.header
    merged.metadata = po.metadata
    added = 0
    for ref in pot:
        previous = old.pop((ref.msgctxt, ref.msgid), None)
        entry = polib.POEntry(
            msgctxt=ref.msgctxt,
            msgid=ref.msgid,
            msgstr=previous.msgstr if previous else "",
            comment=ref.comment,
            tcomment=previous.tcomment if previous else "",
            occurrences=ref.occurrences,
            flags=[f for f in ref.flags if f != "fuzzy"]
            + (["fuzzy"] if previous and previous.fuzzy else []),
        )
        added += previous is None
        merged.append(entry)
    merged.save(str(po_path))
    return added, len(old)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("po_files", nargs="*", type=Path, help="default: every i18n/*.po")
    parser.add_argument("--pot", type=Path, default=POT)
    parser.add_argument(
        "--merge", action="store_true", help="update the po files from the pot first"
    )
    args = parser.parse_args(argv)
    pot = polib.pofile(str(args.pot))
    po_files = args.po_files or sorted(args.pot.parent.glob("*.po"))
    failed = False
    for po_path in po_files:
        if args.merge:
            added, dropped = merge(po_path, pot)
            print(
                f"{po_path.name}: merged, {added} new entries to translate, "
                f"{dropped} obsolete dropped"
            )
        problems = check(po_path, pot)
        done = len(pot) - sum(1 for _msgid, p in problems if not p.startswith("obsolete"))
        print(f"{po_path.name}: {done}/{len(pot)} entries translated, {len(problems)} problem(s)")
        for msgid, problem in problems:
            short = msgid if len(msgid) <= 70 else msgid[:67] + "..."
            print(f"  {problem}: {short!r}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
