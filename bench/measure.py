"""What the benchmark measures over a block (wall time, SQL queries, peak memory) and how it
prints it: the results table, the machine line, the progress log."""

import os
import platform
import re
import resource
import sys
import time


def _proc_value(path, pattern):
    """The first group of ``pattern`` in a /proc file; None when unreadable or absent."""
    try:
        with open(path, encoding="ascii") as proc:
            match = re.search(pattern, proc.read())
    except OSError:
        return None
    return match.group(1) if match else None


def _peak_rss_kb():
    """Peak resident set size of this process since the last reset (VmHWM), in kB."""
    peak = _proc_value("/proc/self/status", r"VmHWM:\s+(\d+)")
    if peak is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak)


def _reset_peak_rss():
    """Linux >= 4.0 resets VmHWM to the current RSS when 5 is written to clear_refs."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def _current_rss_kb():
    return int(_proc_value("/proc/self/status", r"VmRSS:\s+(\d+)") or 0)


def current_rss_mb():
    """Resident set size of this process now, in MB."""
    return _current_rss_kb() / 1024


class Measure:
    """Wall time, SQL queries sent by a cursor, and peak RSS of this process over a block.

    Peak memory is the process's peak resident set size (VmHWM, reset before the block when
    the kernel allows it, else ru_maxrss since the start), i.e. Python heap + libraries +
    psycopg2 buffers of the Odoo side; PostgreSQL's own memory is not included.
    """

    def __init__(self, cr):
        self.cr = cr
        self.wall = self.queries = self.peak_mb = self.rss_before_mb = None

    def __enter__(self):
        self.rss_before_mb = _current_rss_kb() / 1024
        self.reset = _reset_peak_rss()
        self.queries0 = self.cr.sql_log_count
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.queries = self.cr.sql_log_count - self.queries0
        self.peak_mb = _peak_rss_kb() / 1024
        return False


class Result:
    """One row of the table: a path, what it processed, its measure and its target."""

    def __init__(self, path, rows=None, measure=None, target="", met=None, note=""):
        self.path = path
        self.rows = rows
        self.wall = measure.wall if measure else None
        self.queries = measure.queries if measure else None
        self.peak_mb = measure.peak_mb if measure else None
        self.target = target
        self.met = met
        self.note = note


TABLE_HEAD = ("path", "rows", "wall s", "queries", "peak MB", "target", "met?")


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def _cells(result):
    return (
        result.path,
        _fmt(result.rows, ","),
        _fmt(result.wall, ".2f"),
        _fmt(result.queries, ","),
        _fmt(result.peak_mb, ".0f"),
        result.target,
        {True: "yes", False: "NO", None: "-"}[result.met],
    )


def print_table(results, out=sys.stdout):
    """The results as a text table (path, target and met? left-aligned, figures right-aligned),
    then each path's note."""
    rows = [_cells(r) for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(TABLE_HEAD, *rows, strict=False)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def print_row(cells, aligns):
        text = [getattr(c, align)(w) for c, w, align in zip(cells, widths, aligns, strict=False)]
        print("| " + " | ".join(text) + " |", file=out)

    print(line, file=out)
    print_row(TABLE_HEAD, ["ljust"] * len(TABLE_HEAD))
    print(line, file=out)
    for row in rows:
        print_row(row, ["ljust"] + ["rjust"] * 4 + ["ljust"] * 2)
    print(line, file=out)
    for r in results:
        if r.note:
            print(f"  {r.path}: {r.note}", file=out)


def machine_description():
    total_kb = _proc_value("/proc/meminfo", r"MemTotal:\s+(\d+)")
    ram = f"{int(total_kb) / 1024 / 1024:.1f} GB RAM" if total_kb else "RAM unknown"
    cpu = (_proc_value("/proc/cpuinfo", r"model name\s*:\s*(.+)") or "").strip()
    load = (
        ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    )
    return f"{os.cpu_count()} cores ({cpu}), {ram}{load}; Python {platform.python_version()}"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
