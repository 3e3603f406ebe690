"""The measured paths: each heavy path of the module run on the generated data, measured
(rows, wall time, SQL queries, peak memory) and set against its target; what a path finds
wrong (figures, queue, queries, follow-ups) is added to the failures."""

import time
from collections import defaultdict
from datetime import timedelta

from odoo import Command

from database import fetch_value
from measure import Measure, Result
from yardstick import COMPARED, compare_figures, naive_compute

BUILDER_STEPS = (
    "_queue_all_customers", "_claim_queued_partners", "_invoice_facts",
    "_last_contact_dates", "_project_facts", "_latest_satisfaction", "_read_current_values",
    "_partner_companies", "_evaluate_company", "_write_company_figures", "_unqueue",
    "_queue_changed_customers", "_process_queue_batch",
)  # fmt: skip


class StepTimer:
    """Wraps the steps of a model (the builder's by default) to see where a path spends its
    time and queries (a few calls per batch, the overhead is negligible)."""

    def __init__(self, env, model="retention.profile.builder", steps=BUILDER_STEPS):
        self.cls = type(env[model])
        self.cr = env.cr
        self.steps = steps
        self.totals = defaultdict(float)
        self.queries = defaultdict(int)
        self.calls = defaultdict(int)
        self.saved = {}
        self.processed = 0

    def __enter__(self):
        for name in self.steps:
            original = getattr(self.cls, name, None)
            if original is None:
                continue
            self.saved[name] = self.cls.__dict__.get(name)
            setattr(self.cls, name, self._timed(name, original))
        return self

    def _timed(self, name, original):
        def wrapper(model, *args, **kwargs):
            t0, queries0 = time.perf_counter(), self.cr.sql_log_count
            try:
                result = original(model, *args, **kwargs)
                if name == "_process_queue_batch":
                    self.processed += result or 0
                return result
            finally:
                self.totals[name] += time.perf_counter() - t0
                self.queries[name] += self.cr.sql_log_count - queries0
                self.calls[name] += 1

        return wrapper

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            if original is None:
                delattr(self.cls, name)
            else:
                setattr(self.cls, name, original)
        return False

    def summary(self):
        parts = sorted(
            ((k, v) for k, v in self.totals.items() if k != "_process_queue_batch"),
            key=lambda kv: -kv[1],
        )
        return ", ".join(f"{name} {secs:.2f} s/{self.calls[name]}" for name, secs in parts)


#: The steps of the analytics backfill (retention.snapshot._backfill) timed apart.
SNAPSHOT_STEPS = ("_rebuild", "_fill_history", "_mark_done", "_analyze_tables")

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

# the Customers list: its retention columns and the at-risk filter
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
AT_RISK_DOMAIN = [("retention_stage", "!=", False), ("retention_stage", "=", "at_risk")]


class Bench:
    """The paths, run one after the other on the same database; their rows in ``results``."""

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

    def admin_env(self):
        """The administrator without superuser rights, with the context the web client sends."""
        admin = self.env.ref("base.user_admin")
        return self.env(
            user=admin.id,
            su=False,
            context={
                "lang": "en_US",
                "tz": "UTC",
                "uid": admin.id,
                "allowed_company_ids": [self.env.company.id],
                "bin_size": True,
            },
        )

    def batch_size(self):
        if self.args.batch_size:
            return self.args.batch_size
        from odoo.addons.customer_retention.models.profile import retention_profile_builder

        return getattr(retention_profile_builder, "BATCH_SIZE", 2000)

    # -- 1. full recompute, 4. floor ---------------------------------------------------------
    def full_recompute(self, label="1a. full recompute, first run"):
        """Every customer queued, then batches processed and committed like the daily job
        (without its time budget)."""
        size = self.batch_size()
        with StepTimer(self.env) as steps, Measure(self.cr) as m:
            queued = self.builder._queue_all_customers()
            self.cr.commit()
            done, batches = self._process_queue(size)
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
                f"{queued:,} queued, {len(batches)} batches of {size}; batch time "
                f"min {min(batches or [0]):.2f} / max {max(batches or [0]):.2f} s; "
                f"steps: {steps.summary()}",
            )
        )

    def _process_queue(self, size):
        """Batches until the queue is empty, each committed; returns the customers done and
        the wall time of each batch."""
        done, batches = 0, []
        while True:
            t0 = time.perf_counter()
            count = self.builder._process_queue_batch(size)
            if not count:
                return done, batches
            self.cr.commit()
            done += count
            batches.append(time.perf_counter() - t0)

    def floor(self):
        start_12m = self.today.replace(year=self.today.year - 1)
        start_24m = self.today.replace(year=self.today.year - 2)
        params = {"today": self.today, "start_12m": start_12m, "start_24m": start_24m}
        invoice_rows = fetch_value(
            self.cr,
            "SELECT COUNT(*) FROM account_move WHERE state = 'posted' "
            "AND move_type IN ('out_invoice', 'out_refund')",
        )
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

    # -- 3. naive ORM yardstick vs builder ---------------------------------------------------
    def naive_vs_builder(self):
        subset = self._naive_subset()
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

    def _naive_subset(self):
        """A random subset of the customers that have figures (--naive-subset)."""
        self.cr.execute(
            """
            SELECT id FROM res_partner
             WHERE id = commercial_partner_id AND customer_rank > 0 AND retention_stage IS NOT NULL
             ORDER BY md5(id::text) LIMIT %s
            """,
            (self.args.naive_subset,),
        )
        return [row[0] for row in self.cr.fetchall()]

    # -- 2. incremental refresh --------------------------------------------------------------
    def incremental(self, data):
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
        changed, customers = data.pay_open_invoices(self.args.changes, self.today)
        self.cr.commit()
        with StepTimer(self.env) as steps, Measure(self.cr) as m:
            self.builder._cron_refresh_changed()
        self.cr.commit()
        left = fetch_value(
            self.cr,
            "SELECT COUNT(*) FROM retention_profile_queue WHERE partner_id = ANY(%s)",
            (customers,),
        )
        if left:
            self.failures.append(f"incremental refresh left {left} changed customers queued")
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

    # -- 5. customers list -------------------------------------------------------------------
    def customers_list(self):
        """The Customers list: at-risk filter, retention columns, 80 then 400 rows."""
        partners = self.admin_env()["res.partner"]
        partners.web_search_read(AT_RISK_DOMAIN, LIST_SPECIFICATION, limit=80)  # warm the caches
        counts = {}
        measures = {}
        for limit in (80, 400):
            partners.env.invalidate_all()
            with Measure(self.cr) as m:
                result = partners.web_search_read(AT_RISK_DOMAIN, LIST_SPECIFICATION, limit=limit)
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

    # -- 6a. analytics backfill, 7. dashboard ------------------------------------------------
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
        with StepTimer(self.env, model, SNAPSHOT_STEPS) as steps, Measure(self.cr) as m:
            rows = snapshots._backfill()
        self.cr.commit()
        self.cr.execute(
            "SELECT COUNT(*), COUNT(DISTINCT partner_id), MIN(month), MAX(month), "
            "COUNT(*) FILTER (WHERE health_score IS NOT NULL) FROM retention_snapshot"
        )
        count, partners, first, last, scored = self.cr.fetchone()
        periods = fetch_value(self.cr, "SELECT COUNT(*) FROM retention_metric_period")
        cells = fetch_value(self.cr, "SELECT COUNT(*) FROM retention_cohort_period")
        if not count:
            self.failures.append("analytics backfill: no snapshot written")
        # the health history is a path of its own (issue #18): its time is taken out of 6a's
        history_wall = steps.totals.get("_fill_history", 0.0)
        history_queries = steps.queries.get("_fill_history", 0)
        backfill = Result(
            "6a. analytics backfill, 5 years (without the health history)",
            rows,
            m,
            "<= 120 s",
            m.wall - history_wall <= 120,
            f"{count:,} monthly snapshots of {partners:,} customers, {first} to {last}, "
            f"then {periods:,} rows of the metric report (month, quarter, year periods) and "
            f"{cells:,} cells of the cohort report; "
            f"_backfill() in all: {m.wall:.2f} s, {m.queries:,} queries; steps: "
            f"{steps.summary()}",
        )
        backfill.wall -= history_wall
        backfill.queries -= history_queries
        history = Result(
            "6a-h. health history in 6a (_fill_history)",
            scored,
            None,
            "<= 300 s",
            history_wall <= 300,
            f"{scored:,} snapshot rows scored as of their month's end; peak MB: 6a's",
        )
        history.wall, history.queries, history.peak_mb = history_wall, history_queries, m.peak_mb
        self.results += [backfill, history]

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

    # -- 8. cockpit -------------------------------------------------------------------------
    def cockpit(self, customers=2000):
        """The cockpit of an account manager looking after ``customers`` customers (the admin
        is made their account manager): retention.cockpit.get_cockpit_data, one query per
        list. Target of issue #19: under a second."""
        admin = self.env.ref("base.user_admin")
        self.cr.execute(
            """
            UPDATE res_partner SET retention_account_manager_id = %s
             WHERE id IN (SELECT id FROM res_partner
                           WHERE id = commercial_partner_id AND customer_rank > 0
                           ORDER BY id LIMIT %s)
            """,
            [admin.id, customers],
        )
        assigned = self.cr.rowcount
        self._fill_cockpit_lists(admin, customers)
        self.cr.commit()
        env = self.env(user=admin.id, su=False)
        env.invalidate_all()
        with Measure(self.cr) as m:
            data = env["retention.cockpit"].get_cockpit_data()
        lists = ("at_risk", "reviews", "renewals", "reengage", "risk_cases", "activities")
        self.results.append(
            Result(
                "8. cockpit of one account manager",
                assigned,
                m,
                "< 1 s",
                m.wall < 1.0,
                ", ".join(f"{name} {len(data[name])}" for name in lists),
            )
        )

    def _fill_cockpit_lists(self, user, customers):
        """What an account manager's lists hold besides the figures (the generator makes none
        of it): planned reviews (a third overdue), renewal dates in the next 90 days, open risk
        cases of the at-risk customers and activities due today or late, on the first
        ``customers`` customers; made once (a rerun finds them)."""
        env = self.env
        partners = env["res.partner"].search(
            [("retention_account_manager_id", "=", user.id), ("is_company", "=", True)],
            order="id",
            limit=customers,
        )
        if env["retention.review"].search_count([("user_id", "=", user.id)]):
            return
        sample = partners[:600]
        env["retention.review"].create(
            [
                {
                    "partner_id": p.id,
                    "user_id": user.id,
                    "date_planned": self.today + timedelta(days=(i % 45) - 15),
                }
                for i, p in enumerate(sample)
            ]
        )
        for i, p in enumerate(partners[600:900]):
            p.retention_renewal_date = self.today + timedelta(days=(i % 90) + 1)
        at_risk = partners.filtered(lambda p: p.retention_stage == "at_risk")[:300]
        env["retention.risk"].create(
            [
                {
                    "partner_id": p.id,
                    "user_id": user.id,
                    "date_next": self.today + timedelta(days=(i % 20) - 10),
                }
                for i, p in enumerate(at_risk)
            ]
        )
        call = env.ref("mail.mail_activity_data_call")
        model = env["ir.model"]._get_id("res.partner")
        env["mail.activity"].create(
            [
                {
                    "res_model_id": model,
                    "res_id": p.id,
                    "activity_type_id": call.id,
                    "user_id": user.id,
                    "summary": "Call back",
                    "date_deadline": self.today - timedelta(days=i % 10),
                }
                for i, p in enumerate(partners[900:1400])
            ]
        )

    # -- 6b. follow-ups ----------------------------------------------------------------------
    def followups(self):
        """N due follow-up events: an 'invoice overdue' rule scheduling an activity on each
        overdue invoice, its start date set so that exactly the N latest events are due; then
        the scheduled job is run again and again, as ir.cron reruns a job that reports
        remaining work, until no log is due. Each call gets an ir.cron.progress record, as the
        cron runner gives it, so the progress it reports is read back."""
        rules = self.env["retention.followup.rule"].sudo()
        rules.search([]).write({"active": False})  # only the bench's rule
        rule = rules.create(self._overdue_rule_values())
        due_dates = sorted((row[3] for row in rule._event_rows(self.today)), reverse=True)
        if not due_dates:
            self.failures.append("follow-ups: no overdue invoice in the generated data")
            return
        # the N-th latest due date: events due on it or later (ties included)
        rule.date_from = due_dates[min(self.args.followups, len(due_dates)) - 1]
        expected = sum(1 for day in due_dates if day >= rule.date_from)
        self.cr.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM mail_activity")
        activities_before, last_activity_id = self.cr.fetchone()
        self.cr.commit()
        cron = self.env.ref("customer_retention.ir_cron_retention_followups")
        with Measure(self.cr) as m:
            reported = self._run_followup_job(cron)
        # a second worker, or the next run, finds nothing to do
        again = rules._detect_events()
        found = self._followup_outcome(rule, last_activity_id, activities_before)
        problems = self._followup_problems(expected, found, again, reported)
        if problems:
            self.failures.append("follow-ups: " + "; ".join(problems))
        self.results.append(
            Result(
                "6b. follow-up processing (detect + execute)",
                expected,
                m,
                "<= 60 s per 10,000" + (" (prorated)" if expected != 10_000 else ""),
                m.wall <= 60 * expected / 10_000,
                f"{expected:,} overdue invoices -> {found['logs']:,} logs, "
                f"{found['activities']:,} activities (one each: "
                f"{'yes' if not problems else 'NO'}); {len(reported)} job run(s), progress "
                f"(done, remaining) reported: {reported[:4]}{' ...' if len(reported) > 4 else ''}; "
                f"{m.wall / max(expected, 1) * 1000:.1f} ms and "
                f"{m.queries / max(expected, 1):.0f} queries per event",
            )
        )

    def _overdue_rule_values(self):
        return {
            "name": "Bench: invoice overdue",
            "trigger": "invoice_overdue",
            "days": 15,
            "date_from": self.today - timedelta(days=5 * 366),
            "action_ids": [
                Command.create(
                    {
                        "action_type": "activity",
                        "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                        "summary": "Chase the overdue invoice",
                        "assignee": "account_manager",
                    }
                )
            ],
        }

    def _run_followup_job(self, cron):
        """The follow-up job called until it reports no remaining work (at most 1,001 calls),
        each call committed; returns the (done, remaining) each call reported."""
        env, cr = self.env, self.cr
        reported = []
        while True:
            progress = (
                env["ir.cron.progress"]
                .sudo()
                .create({"cron_id": cron.id, "done": 0, "remaining": 0})
            )
            env["retention.followup.rule"].with_context(
                ir_cron_progress_id=progress.id
            )._cron_run_followups()
            reported.append((progress.done, progress.remaining))
            cr.commit()
            if not progress.remaining or len(reported) > 1000:
                return reported

    def _followup_outcome(self, rule, last_activity_id, activities_before):
        """The rule's logs (all, done, distinct invoices) and the activities made since."""
        cr = self.cr
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
        new_activities = fetch_value(cr, "SELECT COUNT(*) FROM mail_activity") - activities_before
        return {
            "logs": logs,
            "done": done,
            "records": records,
            "activities": activities,
            "activity_records": activity_records,
            "new_activities": new_activities,
        }

    @staticmethod
    def _followup_problems(expected, found, again, reported):
        """Exactly one done log and one activity per due event, nothing more on a rerun, and
        progress reports that add up to the events."""
        problems = []
        if not (found["logs"] == found["done"] == found["records"] == expected):
            problems.append(
                f"{expected} events expected, {found['logs']} logs on {found['records']} "
                f"invoices, {found['done']} done"
            )
        activities = found["activities"]
        if not (activities == found["activity_records"] == found["new_activities"] == expected):
            problems.append(
                f"{expected} events, {found['new_activities']} new activities, {activities} on "
                f"the logged invoices ({found['activity_records']} distinct)"
            )
        if again:
            problems.append(f"a rerun of the detection added {again} logs")
        if reported[-1][1] or sum(d for d, _r in reported) != expected:
            problems.append(f"progress reported {reported} for {expected} events")
        return problems
