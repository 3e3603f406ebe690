"""Fail when an Odoo log holds warnings or errors the module is responsible for.

Usage: python3 tools/check_log.py LOGFILE [--db NAME ...] [--module NAME] [--ignore REGEX ...]

A record (a log line plus its traceback/continuation lines) is reported when:
* its level is ERROR or CRITICAL, whoever logged it: a clean install or test run logs none;
* its level is WARNING and it comes from the module: the logger name or the text mentions
  "retention" (module, models ``customer.retention.*``, fields ``retention_*``), or it was
  logged while Odoo was loading the module ("Loading module X" .. "Module X loaded").
Database names are blanked first: ours all contain "customer_retention". Records whose first
line matches an --ignore regex are known noise and skipped.
Exit status: 0 clean, 1 offending records found (printed), 2 unreadable log.
"""

import argparse
import re
import sys

RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[^\s:]+): "
    r"(?P<msg>.*)$"
)
MENTION = re.compile(r"retention", re.IGNORECASE)
MAX_CONTINUATION = 25


def records(lines):
    """Yield (level, lines) per record, text including continuation lines."""
    current = None
    for line in lines:
        line = line.rstrip("\n")
        match = RECORD.match(line)
        if match:
            if current:
                yield current
            current = [match["level"], [line]]
        elif current:
            current[1].append(line)
    if current:
        yield current


def offending(lines, dbs, module, ignore=()):
    start = re.compile(rf"Loading module {re.escape(module)} \(")
    end = re.compile(rf"Module {re.escape(module)} loaded in")
    loading = False
    for level, text in records(lines):
        first = text[0]
        if start.search(first):
            loading = True
        elif end.search(first):
            loading = False
        if level not in ("WARNING", "ERROR", "CRITICAL") or any(i.search(first) for i in ignore):
            continue
        # The record's own db field is not evidence: keep "logger: message" and what follows.
        blob = "\n".join([first.split(" ", 5)[-1], *text[1:]])
        for db in dbs:
            blob = blob.replace(db, "<db>")
        ours = MENTION.search(blob) or loading
        if level != "WARNING" or ours:
            yield text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logfile")
    parser.add_argument("--db", action="append", default=[], help="database name to blank")
    parser.add_argument("--module", default="customer_retention")
    parser.add_argument("--ignore", action="append", default=[], type=re.compile)
    args = parser.parse_args()
    try:
        with open(args.logfile, encoding="utf-8", errors="replace") as handle:
            found = list(offending(handle, args.db, args.module, args.ignore))
    except OSError as error:
        print(f"cannot read {args.logfile}: {error}", file=sys.stderr)
        return 2
    for text in found:
        shown = text[: MAX_CONTINUATION + 1]
        print("\n".join(shown))
        if len(text) > len(shown):
            print(f"    ... ({len(text) - len(shown)} more lines in {args.logfile})")
    if found:
        print(f"{len(found)} warning/error record(s) in {args.logfile}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
