#!/usr/bin/env python3
"""Benchmark of the retention profile paths of customer_retention.

Builds a synthetic but valid dataset in a fresh database (customers and contacts, customer
invoices and credit notes over 5 years with their journal items, payments and reconciliations,
projects with status updates, tasks and ratings, and the messages Odoo posts on all of them),
then runs each heavy path and prints a table: rows, wall time, SQL queries, peak memory,
against the targets of the issue.

    python3 bench/retention_bench.py --config .build/odoo.conf            # 100,000 / 1,000,000
    python3 bench/retention_bench.py --config .build/odoo.conf --smoke    # 300 / 3,000

How the rows are made: a handful of real records are created with the ORM first (an invoice,
a credit note reversing it, a full and a partial payment, a project, messages...), then every
generated row is a copy of its template row with only the varying columns replaced (ids, dates,
amounts, names, links), in bulk ``INSERT ... SELECT``. A sample of the generated records is then
recomputed with Odoo's own compute methods (amounts, residuals, payment state, reconciliation)
and compared with what was stored: the run fails if they disagree.

This file is the command line (options, the database, the order of the paths, the report); the
rest lives beside it: dataset.py (the data builder), yardstick.py (the naive version and the
checks against Odoo's own computes), paths.py (the measured paths), measure.py (what is
measured, the table), database.py (create, clone, drop) and explain.py (--explain).
See bench/README.md for what each path measures and the figures measured.
"""

import argparse
import json
import os
import shlex
import sys
from functools import partial

import odoo
from odoo import fields

from database import clone_database, database_exists, drop_database, install_database
from dataset import DataBuilder
from explain import explain_heavy_queries
from history import History
from measure import log, machine_description, print_table
from paths import Bench
from screens import Screens
from yardstick import check_generated_data

DEFAULT_DB = "customer_retention_bench"
SMOKE_SIZE = (300, 3000, 50)  # customers, invoices, naive subset
TEMPLATES_PARAM = "customer_retention.bench_templates"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--invoices",
        type=int,
        default=1_000_000,
        help="customer invoices and credit notes (7%% credit notes)",
    )
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database at the end"
    )
    parser.add_argument(
        "--naive-subset",
        type=int,
        default=500,
        help="customers computed by the naive ORM yardstick and the builder",
    )
    parser.add_argument(
        "--changes", type=int, default=1000, help="invoices paid before the incremental refresh"
    )
    parser.add_argument(
        "--followups",
        type=int,
        default=10_000,
        help="due follow-up events processed by the follow-up job",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="small run for the test suite: {:,} customers, {:,} invoices, naive subset {}".format(
            *SMOKE_SIZE
        ),
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="batch size of the full recompute (default: the builder's)",
    )
    parser.add_argument("--seed", type=float, default=0.42)
    parser.add_argument(
        "--from-template",
        metavar="DB",
        help="clone this database (module installed, no demo) instead of installing",
    )
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="development: keep the existing --db as it is (no install, no data)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a time or memory target is missed too"
    )
    parser.add_argument(
        "--explain",
        metavar="FILE",
        help="after the paths, write EXPLAIN (ANALYZE, BUFFERS) of the heavy "
        "queries (one builder batch, the refresh scan, the list) to FILE",
    )
    parser.add_argument(
        "--skip", default="", help="development: comma-separated paths not to run (naive, list...)"
    )
    parser.add_argument(
        "--history-months",
        type=int,
        help="health history window of every company (retention_history_months, default "
        "the company's: 24) for paths 6a and 6c; fewer months to measure the cost of one",
    )
    parser.add_argument("--log-level", default="warn")
    args = parser.parse_args(argv)  # fmt: skip
    if args.smoke:
        args.customers, args.invoices, args.naive_subset = SMOKE_SIZE
        # the smoke data has about 200 open invoices: leave some for the follow-ups
        args.changes = min(args.changes, 60)
        args.followups = min(args.followups, 100)
    return args


def print_context(command, sizes):
    print(f"command: {command}")
    print(f"machine: {machine_description()}")
    print(f"sizes:   {sizes}")


def prepare_database(args, config):
    """The database of the run: made again (cloned from --from-template, else installed), or
    kept as it is with --reuse-db."""
    if args.reuse_db:
        if not database_exists(args.db):
            sys.exit(f"--reuse-db: database {args.db} does not exist")
        return
    drop_database(args.db)
    if args.from_template:
        log(f"cloning {args.from_template}")
        clone_database(args.from_template, args.db)
    else:
        install_time = install_database(config, args.db, os.path.dirname(config))
        log(f"install: {install_time:.0f} s")


def prepare_data(data, bench, args):
    """The data generated and checked against Odoo's own computes; with --reuse-db, the
    templates the previous run generated from."""
    params = data.env["ir.config_parameter"].sudo()
    if args.reuse_db:
        data.tpl = json.loads(params.get_param(TEMPLATES_PARAM) or "{}")
        if not data.tpl:
            sys.exit("--reuse-db: no bench data in this database")
        return
    data.generate()
    params.set_param(TEMPLATES_PARAM, json.dumps(data.tpl))
    data.cr.commit()
    checked, problems = check_generated_data(data)
    log(f"validation: {checked} generated records recomputed by Odoo, "
        f"{len(problems)} difference(s)")  # fmt: skip
    if problems:
        bench.failures.append("generated data differs from what Odoo computes: "
                              + "; ".join(problems[:10]))  # fmt: skip
    print(f"generation: {data.total:.0f} s in all (not measured below)")
    for name, count in data.counts.items():
        print(f"  {name:<32} {count:>12,}")


def run_paths(bench, data, args):
    """The paths in their order (each one can be skipped with --skip)."""
    skip = {name.strip() for name in args.skip.split(",") if name.strip()}
    for name, message, run in (
        ("full", "path 1: full recompute", bench.full_recompute),
        ("full", "path 1b: full recompute again (the daily job: figures and flags exist)",
         partial(bench.full_recompute, "1b. full recompute, daily (figures exist)")),
        ("full", "path 4: floor", bench.floor),
        ("naive", "path 3: naive ORM yardstick vs builder", bench.naive_vs_builder),
        ("incremental", "path 2: incremental refresh", partial(incremental, bench, data, args)),
        ("list", "path 5: customers list", bench.customers_list),
        ("analytics", "path 6a: analytics backfill", bench.analytics_backfill),
        ("history", "paths 6c-6e: health history, daily snapshot job, back-test",
         lambda: History(bench).run()),
        ("followups", "path 6b: follow-up processing", bench.followups),
        ("dashboard", "path 7: dashboard", bench.dashboard),
        ("cockpit", "path 8: cockpit of an account manager (2,000 customers)", bench.cockpit),
        ("screens", "paths S1-S7: screens as the web client loads them", lambda: Screens(bench).run()),
    ):  # fmt: skip
        if name not in skip:
            log(message)
            run()


def incremental(bench, data, args):
    """Path 2, then the invoices it paid recomputed by Odoo (not with --reuse-db: the staging
    tables of the generation are gone)."""
    bench.incremental(data)
    if not args.reuse_db:
        checked, problems = check_generated_data(data, change=True)
        if problems:
            bench.failures.append("paid invoices differ from what Odoo computes: "
                                  + "; ".join(problems[:10]))  # fmt: skip


def report(bench, args):
    """The table, the failures and the missed targets; returns the exit code."""
    print_table(bench.results)
    exit_code = 0
    missed = [r.path for r in bench.results if r.met is False]
    if bench.failures:
        exit_code = 1
        print("\nFAILED:")
        for failure in bench.failures:
            print(f"  - {failure}")
    if missed:
        print("\ntargets missed: " + ", ".join(missed))
        if args.strict:
            exit_code = 1
    return exit_code


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = os.path.abspath(args.config)
    odoo.tools.config.parse_config(["-c", config, f"--log-level={args.log_level}"])
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    print_context(command, f"{args.customers:,} customers, {args.invoices:,} invoices and credit "
                  f"notes, naive subset {args.naive_subset}, {args.changes} changed invoices; "
                  f"db {args.db}")  # fmt: skip
    prepare_database(args, config)

    registry = odoo.modules.registry.Registry(args.db)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            today = fields.Date.context_today(env["retention.profile.builder"])
            data = DataBuilder(env, args.customers, args.invoices, args.seed, today)
            bench = Bench(env, args, today)
            prepare_data(data, bench, args)
            if args.history_months is not None:
                # in SQL: through the ORM, a new window marks every month due for the daily
                # job (res.company.write), which path 6d would then measure
                cr.execute("UPDATE res_company SET retention_history_months = %s",
                           [args.history_months])  # fmt: skip
                env["res.company"].invalidate_model(["retention_history_months"])
                cr.commit()
            cr.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size: {cr.fetchone()[0]}")
            run_paths(bench, data, args)
            data.drop_staging()
            cr.commit()
            if args.explain:
                explain_heavy_queries(bench, args.explain)

        print()
        print_context(command, f"{args.customers:,} customers, {args.invoices:,} invoices and "
                      "credit notes; peak MB = peak RSS of this Odoo process during the path "
                      "(VmHWM)")  # fmt: skip
        return report(bench, args)
    finally:
        odoo.modules.registry.Registry.delete(args.db)
        odoo.sql_db.close_db(args.db)
        if not args.keep_db:
            drop_database(args.db)
            log(f"dropped {args.db}")


if __name__ == "__main__":
    sys.exit(main())
