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

See bench/README.md for what each path measures and the figures measured.
"""

import argparse
import json
import os
import re
import shlex
import sys
import time
from collections import defaultdict
from datetime import timedelta

import odoo
from odoo import Command, fields
from odoo.tools import SQL

from database import (
    clone_database,
    database_exists,
    drop_database,
    install_database,
)
from dataset import DataBuilder
from measure import Measure, Result, log, machine_description, print_table
from yardstick import COMPARED, check_generated_data, compare_figures, naive_compute

DEFAULT_DB = "customer_retention_bench"
SMOKE_SIZE = (300, 3000, 50)  # customers, invoices, naive subset


# ----------------------------------------------------------------------------------------
# The paths
# ----------------------------------------------------------------------------------------
BUILDER_STEPS = (
    "_mark_all_customers_dirty", "_claim_dirty_partners", "_invoice_facts",
    "_last_contact_dates", "_project_facts", "_latest_satisfaction", "_read_current_values",
    "_partner_companies", "_evaluate_company", "_write_company_figures", "_unqueue",
    "_mark_changed_customers_dirty", "_process_dirty_batch",
)  # fmt: skip


class StepTimer:
    """Wraps the builder's steps to see where a path spends its time (a few calls per batch,
    the overhead is negligible)."""

    def __init__(self, env):
        self.cls = type(env["retention.profile.builder"])
        self.totals = defaultdict(float)
        self.calls = defaultdict(int)
        self.saved = {}
        self.processed = 0

    def __enter__(self):
        for name in BUILDER_STEPS:
            original = getattr(self.cls, name, None)
            if original is None:
                continue
            self.saved[name] = self.cls.__dict__.get(name)

            def wrapper(model, *args, _original=original, _name=name, **kwargs):
                t0 = time.perf_counter()
                try:
                    result = _original(model, *args, **kwargs)
                    if _name == "_process_dirty_batch":
                        self.processed += result or 0
                    return result
                finally:
                    self.totals[_name] += time.perf_counter() - t0
                    self.calls[_name] += 1

            setattr(self.cls, name, wrapper)
        return self

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            if original is None:
                delattr(self.cls, name)
            else:
                setattr(self.cls, name, original)
        return False

    def summary(self):
        parts = sorted(
            ((k, v) for k, v in self.totals.items() if k != "_process_dirty_batch"),
            key=lambda kv: -kv[1],
        )
        return ", ".join(f"{name} {secs:.2f} s/{self.calls[name]}" for name, secs in parts)


FLOOR_QUERY = """
    SELECT company_id, commercial_partner_id,
           MIN(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
           MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
           COUNT(DISTINCT invoice_date) FILTER (WHERE move_type = 'out_invoice'),
           COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
           COUNT(*) FILTER (WHERE move_type = 'out_invoice' AND invoice_date > %(start_12m)s),
           COUNT(*) FILTER (WHERE move_type = 'out_refund' AND invoice_date > %(start_12m)s),
           SUM(amount_untaxed_signed),
           SUM(amount_untaxed_signed) FILTER (WHERE invoice_date > %(start_12m)s),
           SUM(amount_untaxed_signed) FILTER (WHERE invoice_date > %(start_24m)s
                                                AND invoice_date <= %(start_12m)s),
           SUM(amount_residual_signed) FILTER (WHERE move_type = 'out_invoice'
                AND invoice_date_due < %(today)s AND payment_state IN ('not_paid', 'partial')),
           MAX(%(today)s - invoice_date_due) FILTER (WHERE move_type = 'out_invoice'
                AND invoice_date_due < %(today)s AND payment_state IN ('not_paid', 'partial'))
      FROM account_move
     WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
     GROUP BY company_id, commercial_partner_id
"""

LIST_SPECIFICATION = {
    "retention_currency_id": {"fields": {}},
    "display_name": {},
    "retention_stage": {},
    "retention_health_score": {},
    "retention_health_trend": {},
    "retention_revenue_12m": {},
    "retention_revenue_prev_12m": {},
    "retention_revenue_trend": {},
    "retention_overdue_amount": {},
    "retention_customer_since": {},
    "retention_last_invoice_date": {},
    "retention_last_contact_date": {},
    "retention_next_review_date": {},
    "retention_project_open_count": {},
    "retention_account_manager_id": {"fields": {"display_name": {}}},
    "country_id": {"fields": {"display_name": {}}},
}


class Bench:
    def __init__(self, env, args, today):
        self.env = env
        self.cr = env.cr
        self.args = args
        self.today = today
        self.builder = env["retention.profile.builder"]
        self.results = []
        self.notes = []
        self.failures = []
        self.values = {}

    def batch_size(self):
        if self.args.batch_size:
            return self.args.batch_size
        from odoo.addons.customer_retention.models import retention_profile_builder

        return getattr(retention_profile_builder, "BATCH_SIZE", 2000)

    def full_recompute(self, label="1a. full recompute, first run"):
        """Every customer marked, then batches processed and committed like the daily job
        (without its time budget)."""
        size = self.batch_size()
        batches = []
        with StepTimer(self.env) as steps, Measure(self.cr) as m:
            marked = self.builder._mark_all_customers_dirty()
            self.cr.commit()
            done = 0
            while True:
                t0 = time.perf_counter()
                count = self.builder._process_dirty_batch(size)
                if not count:
                    break
                self.cr.commit()
                done += count
                batches.append(time.perf_counter() - t0)
        self.values.setdefault("full_first", m.wall)
        self.values["full"] = m.wall  # the last one: the daily run
        # the builder's own read of the invoice rows, to set beside the floor
        self.values["invoice_read"] = steps.totals.get("_invoice_facts", 0.0)
        self.results.append(
            Result(
                label,
                done,
                m,
                "<= 60 s, < 1024 MB",
                m.wall <= 60 and m.peak_mb < 1024,
                f"{marked:,} marked, {len(batches)} batches of {size}; batch time "
                f"min {min(batches or [0]):.2f} / max {max(batches or [0]):.2f} s; "
                f"steps: {steps.summary()}",
            )
        )

    def floor(self):
        start_12m = self.today.replace(year=self.today.year - 1)
        start_24m = self.today.replace(year=self.today.year - 2)
        params = {"today": self.today, "start_12m": start_12m, "start_24m": start_24m}
        self.cr.execute(
            "SELECT COUNT(*) FROM account_move WHERE state = 'posted' "
            "AND move_type IN ('out_invoice', 'out_refund')"
        )
        invoice_rows = self.cr.fetchone()[0]
        self.cr.execute(FLOOR_QUERY, params)  # warm, like the recompute's caches are
        self.cr.fetchall()
        with Measure(self.cr) as m:
            self.cr.execute(FLOOR_QUERY, params)
            groups = len(self.cr.fetchall())
        ratio = self.values["full"] / m.wall if m.wall else None
        first_ratio = self.values["full_first"] / m.wall if m.wall else None
        self.values["floor"] = m.wall
        self.results.append(
            Result(
                "4. floor: one grouped query over the invoices",
                invoice_rows,
                m,
                "1b <= 5x floor",
                ratio is not None and ratio <= 5,
                f"{groups:,} (company, customer) groups; daily full recompute (1b) / floor = "
                f"{ratio:.1f}x (first run 1a: {first_ratio:.1f}x); the builder's own read of "
                f"the same invoice rows in 1b (_invoice_facts, all batches): "
                f"{self.values['invoice_read']:.2f} s = "
                f"{self.values['invoice_read'] / m.wall:.1f}x the floor",
            )
        )

    def naive_vs_builder(self):
        n = self.args.naive_subset
        self.cr.execute(
            """
            SELECT id FROM res_partner
             WHERE id = commercial_partner_id AND customer_rank > 0 AND retention_stage IS NOT NULL
             ORDER BY md5(id::text) LIMIT %s
            """,
            (n,),
        )
        subset = [row[0] for row in self.cr.fetchall()]
        if not subset:
            self.failures.append("no customer for the naive comparison")
            return
        self.env.invalidate_all()
        with Measure(self.cr) as naive_m:
            expected = naive_compute(self.env, subset, self.today)
        self.cr.commit()
        self.env.invalidate_all()
        with Measure(self.cr) as set_m:
            self.builder._compute_partners(subset)
        self.cr.commit()
        mismatches = compare_figures(self.cr, expected)
        speedup = naive_m.wall / set_m.wall if set_m.wall else None
        self.results.append(
            Result(
                "3a. naive per-customer ORM (yardstick)",
                len(subset),
                naive_m,
                "",
                None,
                f"{naive_m.wall / len(subset) * 1000:.1f} ms and "
                f"{naive_m.queries / len(subset):.0f} queries per customer",
            )
        )
        self.results.append(
            Result(
                "3b. builder on the same subset",
                len(subset),
                set_m,
                ">= 20x faster than 3a",
                speedup is not None and speedup >= 20,
                f"speed-up {speedup:.1f}x; figures compared on {len(expected)} "
                f"(company, customer) pairs x {len(COMPARED)} fields: "
                f"{len(mismatches)} mismatch(es)",
            )
        )
        if mismatches:
            self.failures.append(
                f"{len(mismatches)} figure(s) differ between the naive version and the builder: "
                + "; ".join(mismatches[:10])
            )

    def incremental(self, data):
        n = self.args.changes
        # the first call only sets the watermark
        self.builder._cron_refresh_changed()
        self.cr.commit()
        # steady state: the job runs while nothing changed
        with StepTimer(self.env) as idle_steps, Measure(self.cr) as idle:
            self.builder._cron_refresh_changed()
        self.cr.commit()
        self.results.append(
            Result(
                "2a. refresh job, nothing changed",
                idle_steps.processed,
                idle,
                "",
                None,
                "the scan for changes since the previous run (from the oldest transaction "
                f"then running); steps: {idle_steps.summary()}",
            )
        )
        changed, customers = data.pay_open_invoices(n, self.today)
        self.cr.commit()
        with StepTimer(self.env) as steps, Measure(self.cr) as m:
            self.builder._cron_refresh_changed()
        self.cr.commit()
        self.cr.execute(
            "SELECT COUNT(*) FROM retention_profile_queue WHERE partner_id = ANY(%s)",
            (customers,),
        )
        left = self.cr.fetchone()[0]
        if left:
            self.failures.append(f"incremental refresh left {left} changed customers dirty")
        self.results.append(
            Result(
                f"2b. refresh job after {changed:,} invoices paid",
                steps.processed,
                m,
                "< 5 s",
                m.wall < 5,
                f"{changed:,} invoices of {len(customers):,} customers paid (payment, "
                f"reconciliation, messages) before the run; steps: {steps.summary()}",
            )
        )

    def customers_list(self):
        """The Customers list: at-risk filter, retention columns, 80 then 400 rows."""
        admin = self.env.ref("base.user_admin")
        company = self.env.company
        env = self.env(
            user=admin.id,
            su=False,
            context={
                "lang": "en_US",
                "tz": "UTC",
                "uid": admin.id,
                "allowed_company_ids": [company.id],
                "bin_size": True,
            },
        )
        partners = env["res.partner"]
        domain = [("retention_stage", "!=", False), ("retention_stage", "=", "at_risk")]
        partners.web_search_read(domain, LIST_SPECIFICATION, limit=80)  # warm the caches
        counts = {}
        measures = {}
        for limit in (80, 400):
            env.invalidate_all()
            with Measure(self.cr) as m:
                result = partners.web_search_read(domain, LIST_SPECIFICATION, limit=limit)
            counts[limit] = (len(result["records"]), result["length"])
            measures[limit] = m
        equal = measures[80].queries == measures[400].queries
        for limit in (80, 400):
            rows, length = counts[limit]
            self.results.append(
                Result(
                    f"5. customers list, at risk, limit {limit}",
                    rows,
                    measures[limit],
                    "same queries as 80" if limit == 400 else "constant queries",
                    equal,
                    f"{length:,} customers at risk" if limit == 80 else "",
                )
            )
        if not equal:
            self.failures.append(
                f"customers list: {measures[80].queries} queries for 80 rows, "
                f"{measures[400].queries} for 400"
            )

    def analytics_backfill(self):
        """Retention analytics (issue #7): retention.snapshot._backfill() rebuilds the monthly
        snapshots of every customer over the whole history (5 years here), one set-based
        statement per company, as the install and the Settings button do."""
        model = "retention.snapshot"
        if model not in self.env:
            self.results.append(
                Result(
                    "6a. analytics backfill, 5 years",
                    target="<= 120 s (not built)",
                    note=f"not built: no {model} model in this branch (retention analytics)",
                )
            )
            return
        snapshots = self.env[model].sudo()
        with Measure(self.cr) as m:
            rows = snapshots._backfill()
        self.cr.commit()
        self.cr.execute(
            "SELECT COUNT(*), COUNT(DISTINCT partner_id), MIN(month), MAX(month) "
            "FROM retention_snapshot"
        )
        count, partners, first, last = self.cr.fetchone()
        self.cr.execute("SELECT COUNT(*) FROM retention_metric_period")
        periods = self.cr.fetchone()[0]
        if not count:
            self.failures.append("analytics backfill: no snapshot written")
        self.results.append(
            Result(
                "6a. analytics backfill, 5 years",
                rows,
                m,
                "<= 120 s",
                m.wall <= 120,
                f"{count:,} monthly snapshots of {partners:,} customers, {first} to {last}, "
                f"then {periods:,} rows of the metric report (month, quarter, year periods)",
            )
        )

    def dashboard(self):
        """The Retention dashboard (the app's landing screen) as the administrator opens it:
        KPIs of the month against the month before, the 12-month curve, customers at risk,
        reviews, renewals. No target in issue #8: measured to show what a user waits for."""
        admin = self.env.ref("base.user_admin")
        env = self.env(user=admin.id, su=False)
        dashboard = env["retention.dashboard"]
        env.invalidate_all()
        with Measure(self.cr) as m:
            data = dashboard.get_dashboard_data("month")
        self.results.append(
            Result(
                "7. dashboard, month",
                len(data["history"]),
                m,
                "(none)",
                None,
                f"{len(data['history'])} periods on the curve, {len(data['at_risk'])} customers "
                "at risk listed; the metric report's rows are stored (built by 6a)",
            )
        )

    def followups(self):
        """N due follow-up events: an 'invoice overdue' rule scheduling an activity on each
        overdue invoice, its start date set so that exactly the N latest events are due; then
        the scheduled job is run again and again, as ir.cron reruns a job that reports
        remaining work, until no log is due. Each call gets an ir.cron.progress record, as the
        cron runner gives it, so the progress it reports is read back."""
        env, cr = self.env, self.cr
        n = self.args.followups
        rules = env["retention.followup.rule"].sudo()
        rules.search([]).write({"active": False})  # only the bench's rule
        rule = rules.create(
            {
                "name": "Bench: invoice overdue",
                "trigger": "invoice_overdue",
                "days": 15,
                "date_from": self.today - timedelta(days=5 * 366),
                "action_ids": [
                    Command.create(
                        {
                            "action_type": "activity",
                            "activity_type_id": env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Chase the overdue invoice",
                            "assignee": "account_manager",
                        }
                    )
                ],
            }
        )
        due_dates = sorted((row[3] for row in rule._event_rows(self.today)), reverse=True)
        if not due_dates:
            self.failures.append("follow-ups: no overdue invoice in the generated data")
            return
        # the N-th latest due date: events due on it or later (ties included)
        rule.date_from = due_dates[min(n, len(due_dates)) - 1]
        expected = sum(1 for day in due_dates if day >= rule.date_from)
        cr.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM mail_activity")
        activities_before, last_activity_id = cr.fetchone()
        cr.commit()
        cron = env.ref("customer_retention.ir_cron_retention_followups")
        calls, reported = 0, []
        with Measure(cr) as m:
            while True:
                progress = (
                    env["ir.cron.progress"]
                    .sudo()
                    .create({"cron_id": cron.id, "done": 0, "remaining": 0})
                )
                env["retention.followup.rule"].with_context(
                    ir_cron_progress_id=progress.id
                )._cron_run_followups()
                calls += 1
                reported.append((progress.done, progress.remaining))
                cr.commit()
                if not progress.remaining or calls > 1000:
                    break
        # a second worker, or the next run, finds nothing to do
        again = rules._detect_events()
        cr.execute(
            """
            SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'done'),
                   COUNT(DISTINCT res_id)
              FROM retention_followup_log WHERE rule_id = %s
            """,
            (rule.id,),
        )
        logs, done, records = cr.fetchone()
        cr.execute(
            """
            SELECT COUNT(*), COUNT(DISTINCT a.res_id)
              FROM mail_activity a
              JOIN retention_followup_log l
                ON l.res_id = a.res_id AND l.res_model = a.res_model AND l.rule_id = %s
             WHERE a.id > %s
            """,
            (rule.id, last_activity_id),
        )
        activities, activity_records = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM mail_activity")
        new_activities = cr.fetchone()[0] - activities_before
        problems = []
        if not (logs == done == records == expected):
            problems.append(
                f"{expected} events expected, {logs} logs on {records} invoices, {done} done"
            )
        if not (activities == activity_records == new_activities == expected):
            problems.append(
                f"{expected} events, {new_activities} new activities, {activities} on the "
                f"logged invoices ({activity_records} distinct)"
            )
        if again:
            problems.append(f"a rerun of the detection added {again} logs")
        if reported[-1][1] or sum(d for d, _r in reported) != expected:
            problems.append(f"progress reported {reported} for {expected} events")
        if problems:
            self.failures.append("follow-ups: " + "; ".join(problems))
        self.results.append(
            Result(
                "6b. follow-up processing (detect + execute)",
                expected,
                m,
                "<= 60 s per 10,000" + (" (prorated)" if expected != 10_000 else ""),
                m.wall <= 60 * expected / 10_000,
                f"{expected:,} overdue invoices -> {logs:,} logs, {activities:,} activities "
                f"(one each: {'yes' if not problems else 'NO'}); {calls} job run(s), progress "
                f"(done, remaining) reported: {reported[:4]}{' ...' if len(reported) > 4 else ''}; "
                f"{m.wall / max(expected, 1) * 1000:.1f} ms and "
                f"{m.queries / max(expected, 1):.0f} queries per event",
            )
        )


# ----------------------------------------------------------------------------------------
# EXPLAIN of the heavy queries
# ----------------------------------------------------------------------------------------
class QueryCapture:
    """Records the statements a block sends through this cursor (mogrified)."""

    def __init__(self, cr):
        self.cr = cr
        self.statements = []

    def __enter__(self):
        cr = self.cr
        original = cr.execute

        def execute(query, params=None, log_exceptions=True):
            if isinstance(query, SQL):
                code, args = query.code, query.params
            else:
                code, args = query, params
            self.statements.append(cr._obj.mogrify(code, args).decode())
            return original(query, params, log_exceptions)

        cr.execute = execute
        return self

    def __exit__(self, *exc):
        del self.cr.execute
        return False


def explain_statements(cr, title, statements, out, skip=()):
    """EXPLAIN (ANALYZE, BUFFERS) each statement in a savepoint that is rolled back."""
    for number, statement in enumerate(statements, start=1):
        head = " ".join(statement.split())[:160].rstrip()
        if re.match(r"\s*SET\b", statement, re.I):
            cr.execute(statement)  # e.g. SET LOCAL jit = off: the statements after it need it
            print(f"\n===== {title} #{number}: {head}", file=out)
            continue
        if not re.match(r"\s*(SELECT|WITH|UPDATE)\b", statement, re.I) or any(
            word in head for word in skip
        ):
            continue
        print(f"\n===== {title} #{number}: {head}", file=out)
        cr.execute("SAVEPOINT bench_explain")
        try:
            cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            for (line,) in cr.fetchall():
                print(line.rstrip(), file=out)
        except Exception as error:  # noqa: BLE001 - report and go on
            print(f"(could not explain: {error})", file=out)
        finally:
            cr.execute("ROLLBACK TO SAVEPOINT bench_explain")


def explain_heavy_queries(bench, path):
    """The builder's queries for one batch (the first ``batch_size`` customers, like the
    job's first batch), the refresh job's scan for changes, and the customers list."""
    env, cr = bench.env, bench.cr
    builder = bench.builder
    size = bench.batch_size()
    # a batch from the middle of the id range: the job takes batches in id order, and a plan
    # can be cheap for the first batch and not for later ones
    cr.execute(
        """
        WITH c AS (
            SELECT id FROM res_partner
             WHERE id = commercial_partner_id AND (customer_rank > 0 OR retention_stage IS NOT NULL)
        )
        SELECT id FROM c ORDER BY id OFFSET (SELECT COUNT(*) / 2 FROM c) LIMIT %s
        """,
        (size,),
    )
    batch = [row[0] for row in cr.fetchall()]
    with open(path, "w", encoding="utf-8") as out:
        print(
            f"EXPLAIN (ANALYZE, BUFFERS), database {cr.dbname}, {machine_description()}", file=out
        )
        cr.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "ORDER BY relname",
            (["account_move", "account_move_line", "res_partner", "mail_message",
              "project_project", "project_task", "rating_rating"],),
        )  # fmt: skip
        for name, rows in cr.fetchall():
            print(f"  {name}: {rows:,} rows", file=out)
        env.invalidate_all()
        with QueryCapture(cr) as capture:
            builder._compute_partners(batch)
        cr.rollback()
        explain_statements(cr, f"builder, batch of {len(batch)} from the middle of the ids",
                           capture.statements, out,
                           skip=("res_company", "ir_config_parameter", "res_users"))  # fmt: skip
        since = fields.Datetime.now() - timedelta(hours=1)
        query = builder._changed_customers_query(since)
        explain_statements(cr, "refresh scan for changes since 1 hour",
                           [cr._obj.mogrify(query.code, query.params).decode()], out)  # fmt: skip
        admin = env.ref("base.user_admin")
        list_env = env(user=admin.id, su=False, context={"lang": "en_US", "tz": "UTC",
                       "allowed_company_ids": [env.company.id]})  # fmt: skip
        domain = [("retention_stage", "!=", False), ("retention_stage", "=", "at_risk")]
        with QueryCapture(cr) as capture:
            list_env["res.partner"].web_search_read(domain, LIST_SPECIFICATION, limit=80)
        explain_statements(cr, "customers list (at risk, 80)",
                           [q for q in capture.statements if "retention_stage" in q], out)  # fmt: skip
        cr.rollback()
    log(f"EXPLAIN output written to {path}")


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------
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
    parser.add_argument("--log-level", default="warn")
    args = parser.parse_args(argv)  # fmt: skip
    if args.smoke:
        args.customers, args.invoices, args.naive_subset = SMOKE_SIZE
        # the smoke data has about 200 open invoices: leave some for the follow-ups
        args.changes = min(args.changes, 60)
        args.followups = min(args.followups, 100)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = os.path.abspath(args.config)
    odoo.tools.config.parse_config(["-c", config, f"--log-level={args.log_level}"])
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    print(f"command: {command}")
    print(f"machine: {machine_description()}")
    print(f"sizes:   {args.customers:,} customers, {args.invoices:,} invoices and credit notes, "
          f"naive subset {args.naive_subset}, {args.changes} changed invoices; db {args.db}")  # fmt: skip

    install_time = None
    if not args.reuse_db:
        drop_database(args.db)
        if args.from_template:
            log(f"cloning {args.from_template}")
            clone_database(args.from_template, args.db)
        else:
            install_time = install_database(config, args.db, os.path.dirname(config))
            log(f"install: {install_time:.0f} s")
    elif not database_exists(args.db):
        sys.exit(f"--reuse-db: database {args.db} does not exist")

    registry = odoo.modules.registry.Registry(args.db)
    exit_code = 0
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            today = fields.Date.context_today(env["retention.profile.builder"])
            data = DataBuilder(env, args.customers, args.invoices, args.seed, today)
            bench = Bench(env, args, today)
            params = env["ir.config_parameter"].sudo()
            if args.reuse_db:
                data.tpl = json.loads(params.get_param(TEMPLATES_PARAM) or "{}")
                if not data.tpl:
                    sys.exit("--reuse-db: no bench data in this database")
            else:
                data.generate()
                params.set_param(TEMPLATES_PARAM, json.dumps(data.tpl))
                cr.commit()
                checked, problems = check_generated_data(data)
                log(f"validation: {checked} generated records recomputed by Odoo, "
                    f"{len(problems)} difference(s)")  # fmt: skip
                if problems:
                    bench.failures.append("generated data differs from what Odoo computes: "
                                          + "; ".join(problems[:10]))  # fmt: skip
                print(f"generation: {data.total:.0f} s in all (not measured below)")
                for name, count in data.counts.items():
                    print(f"  {name:<32} {count:>12,}")
            cr.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size: {cr.fetchone()[0]}")

            skip = {name.strip() for name in args.skip.split(",") if name.strip()}
            if "full" not in skip:
                log("path 1: full recompute")
                bench.full_recompute()
                log("path 1b: full recompute again (the daily job: figures and flags exist)")
                bench.full_recompute("1b. full recompute, daily (figures exist)")
                log("path 4: floor")
                bench.floor()
            if "naive" not in skip:
                log("path 3: naive ORM yardstick vs builder")
                bench.naive_vs_builder()
            if "incremental" not in skip:
                log("path 2: incremental refresh")
                bench.incremental(data)
                if not args.reuse_db:
                    checked, problems = check_generated_data(data, change=True)
                    if problems:
                        bench.failures.append("paid invoices differ from what Odoo computes: "
                                              + "; ".join(problems[:10]))  # fmt: skip
            if "list" not in skip:
                log("path 5: customers list")
                bench.customers_list()
            if "analytics" not in skip:
                log("path 6a: analytics backfill")
                bench.analytics_backfill()
            if "followups" not in skip:
                log("path 6b: follow-up processing")
                bench.followups()
            if "dashboard" not in skip:
                log("path 7: dashboard")
                bench.dashboard()
            data.drop_staging()
            cr.commit()
            if args.explain:
                explain_heavy_queries(bench, args.explain)

        print()
        print(f"command: {command}")
        print(f"machine: {machine_description()}")
        print(f"sizes:   {args.customers:,} customers, {args.invoices:,} invoices and credit "
              f"notes; peak MB = peak RSS of this Odoo process during the path (VmHWM)")  # fmt: skip
        print_table(bench.results)
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
    finally:
        odoo.modules.registry.Registry.delete(args.db)
        odoo.sql_db.close_db(args.db)
        if not args.keep_db:
            drop_database(args.db)
            log(f"dropped {args.db}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
