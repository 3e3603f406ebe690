"""Monthly snapshots and retention metrics on a small hand-built history.

Company currency USD (1 USD = 2 EUR), today 2026-06-15. Customers and invoices:

- A: 2025-04-15 1000, 2025-07-10 1000, 2026-01-10 1000, 2026-06-01 500 (contracts in Q2 2026)
- B: 2024-03-05 2000, then nothing for 14 months: churned in 2025-03, won back 2025-05-20 800
- C: 2026-02-10 1500, credit note 2026-03-15 500
- D: 2025-11-20 2000 EUR (1000 USD), 2026-05-05 400 EUR (200 USD); at risk today
- E: 2025-04-01 600, nothing since: lost in 2026-04
- F: 2026-05-10 300, new in Q2 2026
"""

from datetime import date
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, RetentionAnalyticsCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRetentionSnapshot(RetentionAnalyticsCase):
    def health_as_of(self, partner, day):
        return self.builder._evaluate_as_of(self.company, [partner.id], day)[0]["health_score"]

    def test_snapshots_of_a_steady_customer(self):
        rows = self.snapshots()
        a = self.a.id
        april = date(2025, 4, 1)
        self.assertEqual(rows[a, april][:8], (1000, 1000, 1000, True, True, False, april, "new"))
        # a closed month of the history window: the health as of its last day (issue #18)
        self.assertEqual(rows[a, april][8], self.health_as_of(self.a, date(2025, 4, 30)))
        self.assertEqual(rows[a, date(2025, 7, 1)][:4], (1000, 2000, 2000, True))
        self.assertEqual(rows[a, date(2025, 7, 1)][7], "active")
        # March 2026: April 2025 + July 2025 + January 2026
        self.assertEqual(rows[a, date(2026, 3, 1)][:3], (0, 3000, 3000))
        # June 2026 (current month): April 2025 has left the window; the draft is not counted
        self.assertEqual(rows[a, date(2026, 6, 1)][:3], (500, 2500, 3500))
        months = sorted(m for (p, m) in rows if p == a)
        # every month from the first invoice to today, nothing before
        self.assertEqual(months[0], april)
        self.assertEqual(len(months), 15)

    def test_churn_and_return(self):
        rows = self.snapshots()
        b = self.b.id
        self.assertTrue(rows[b, date(2025, 2, 1)][3])
        # March 2025: 12 months without invoice -> churned (one row to say so), then no row
        self.assertEqual(rows[b, date(2025, 3, 1)][1:4], (0, 2000, False))
        self.assertEqual(rows[b, date(2025, 3, 1)][7], "churned")
        self.assertNotIn((b, date(2025, 4, 1)), rows)
        # May 2025: invoiced again: active, won back, not new; cohort stays March 2024
        self.assertEqual(
            rows[b, date(2025, 5, 1)][:8],
            (800, 800, 2800, True, False, True, date(2024, 3, 1), "won_back"),
        )
        self.assertEqual(rows[b, date(2025, 5, 1)][8], self.health_as_of(self.b, date(2025, 5, 31)))
        self.assertEqual(rows[b, date(2025, 10, 1)][7], "won_back")
        self.assertEqual(rows[b, date(2025, 11, 1)][7], "active")
        # churned again in May 2026, no row in June
        self.assertFalse(rows[b, date(2026, 5, 1)][3])
        self.assertNotIn((b, date(2026, 6, 1)), rows)

    def test_refund_and_currency(self):
        rows = self.snapshots()
        # the credit note lowers its month and the 12-month revenue
        self.assertEqual(rows[self.c.id, date(2026, 3, 1)][:4], (-500, 1000, 1000, True))
        # EUR invoices in USD at 1 USD = 2 EUR
        self.assertEqual(rows[self.d.id, date(2025, 11, 1)][:2], (1000, 1000))
        self.assertEqual(rows[self.d.id, date(2026, 6, 1)][1], 1200)

    def test_current_month_takes_the_live_stage_and_health(self):
        rows = self.snapshots()
        self.assertEqual(rows[self.d.id, date(2026, 6, 1)][7:], ("at_risk", 35))
        # May is closed: health as of 31 May, stage from the engine on the facts then
        may = self.builder._evaluate_as_of(self.company, [self.d.id], date(2026, 5, 31))[0]
        self.assertEqual(rows[self.d.id, date(2026, 5, 1)][7:], (may["stage"], may["health_score"]))

    def test_snapshots_agree_with_the_invoices(self):
        """Every snapshot's 12-month revenue is the sum of the invoices of its window."""
        revenue = self.live_monthly_revenue()
        for (partner, month), row in self.snapshots().items():
            expected = sum(revenue[partner, month - relativedelta(months=n)] for n in range(12))
            self.assertAlmostEqual(row[1], expected, msg=f"{partner} {month}")
            self.assertAlmostEqual(row[0], revenue[partner, month])

    def test_backfill_is_idempotent(self):
        before = self.snapshots()
        self.Snapshot._backfill(self.company)
        self.assertEqual(self.snapshots(), before)
        self.env.cr.execute(
            """SELECT company_id, partner_id, month FROM retention_snapshot
                GROUP BY 1, 2, 3 HAVING COUNT(*) > 1"""
        )
        self.assertFalse(self.env.cr.fetchall())

    def test_monthly_job_gives_the_backfill_figures(self):
        """Rebuilding month by month (the daily job) gives the same rows as the backfill."""
        backfill = self.snapshots()
        self.Snapshot.sudo().search([("company_id", "=", self.company.id)]).unlink()
        Job = self.env["retention.snapshot.job"].sudo()
        # posting the invoices marked their months (and the later ones) for a rebuild
        due = Job.search([("company_id", "=", self.company.id), ("done_on", "=", False)])
        self.assertFalse(due, "the backfill left nothing to do")
        Job.search([("company_id", "=", self.company.id)]).write({"done_on": False})
        self.Snapshot._cron_update_snapshots()
        self.assertEqual(self.snapshots(), backfill)
        # nothing left: a second run rebuilds nothing
        self.assertEqual(self.Snapshot._cron_update_snapshots(), 0)

    def test_new_invoice_marks_its_months(self):
        Job = self.env["retention.snapshot.job"].sudo()
        self.make_invoice(self.e, "2026-05-25", 450)
        due = Job.search([("company_id", "=", self.company.id), ("done_on", "=", False)])
        self.assertEqual(due.mapped("month"), [date(2026, 6, 1), date(2026, 5, 1)])
        self.Snapshot._cron_update_snapshots()
        # E is won back in May 2026
        row = self.snap(self.e, date(2026, 5, 1))
        self.assertTrue(row.is_active and row.is_won_back)
        self.assertEqual(row.revenue_12m, 450)
        # a cancelled invoice takes it away again
        move = self.env["account.move"].search(
            [("partner_id", "=", self.e.id), ("invoice_date", "=", "2026-05-25")]
        )
        move.button_draft()
        move.button_cancel()
        self.Snapshot._cron_update_snapshots()
        self.assertFalse(self.snap(self.e, date(2026, 5, 1)))
        self.assertFalse(self.snap(self.e, date(2026, 6, 1)))

    def jobs_done_yesterday(self):
        Job = self.env["retention.snapshot.job"].sudo()
        jobs = Job.search([("company_id", "=", self.company.id)])
        jobs.write({"done_on": "2026-06-14", "metrics_done_on": "2026-06-14"})
        return Job

    def test_a_normal_day_rebuilds_the_running_month_only(self):
        """Nothing marked since yesterday: the current month (as of today) is rebuilt, not
        the closed months; the month before once after it closes, as of its end."""
        Job = self.jobs_done_yesterday()

        def rebuilt_today(today):
            self.Snapshot._cron_update_snapshots()
            jobs = Job.search([("company_id", "=", self.company.id), ("done_on", "=", today)])
            return sorted(jobs.mapped("month"))

        self.assertEqual(rebuilt_today("2026-06-15"), [date(2026, 6, 1)])
        self.assertFalse(Job._pending_count(date(2026, 6, 15)), "done for today")
        with freeze_time("2026-07-01"):
            # June just closed: rebuilt once more as of its end, July starts
            self.assertEqual(rebuilt_today("2026-07-01"), [date(2026, 6, 1), date(2026, 7, 1)])
        with freeze_time("2026-07-02"):
            self.assertEqual(rebuilt_today("2026-07-02"), [date(2026, 7, 1)])

    def test_a_month_rebuilt_on_its_last_day_is_only_scored_after(self):
        """On 1 July, June (rebuilt by the job on 30 June, as of its end) is not rebuilt
        again: its rows get their scores as of 30 June; July is rebuilt."""
        self.jobs_done_yesterday()
        Snapshot = type(self.Snapshot)
        rebuild = Snapshot._rebuild
        rebuilt = []

        def recording(model, company, date_from, date_to):
            if company == self.company:
                rebuilt.append((date_from, date_to))
            return rebuild(model, company, date_from, date_to)

        with patch.object(Snapshot, "_rebuild", recording):
            with freeze_time("2026-06-30"):
                self.Snapshot._cron_update_snapshots()
            self.assertEqual(rebuilt, [(date(2026, 6, 1), date(2026, 6, 1))])
            rebuilt.clear()
            with freeze_time("2026-07-01"):
                self.Snapshot._cron_update_snapshots()
                expected = self.env["retention.profile.builder"]._evaluate_as_of(
                    self.company, [self.a.id], date(2026, 6, 30)
                )[0]
            self.assertEqual(rebuilt, [(date(2026, 7, 1), date(2026, 7, 1))])
        june = self.snap(self.a, date(2026, 6, 1))
        self.assertEqual(june.health_score, expected["health_score"])
        self.assertEqual(june.recency_score, expected["recency_score"])

    def test_changing_the_stage_rules_marks_every_month(self):
        Job = self.jobs_done_yesterday()
        self.env["retention.snapshot"].flush_model()
        self.env.cr.execute(
            "SELECT COUNT(DISTINCT month) FROM retention_snapshot WHERE company_id = %s",
            [self.company.id],
        )
        months = self.env.cr.fetchone()[0]
        self.company.retention_churn_days = 300
        due = Job.search([("company_id", "=", self.company.id), ("done_on", "=", False)])
        self.assertEqual(len(due), months)
        self.company.retention_churn_days = 300  # the same value: nothing more to do
        self.Snapshot._cron_update_snapshots()
        self.assertFalse(Job._pending_count(date(2026, 6, 15)))
        # B churned in March 2025 after 12 months and more without invoice; with a 300-day
        # window its February 2025 is churned already (last invoice 5 March 2024)
        self.assertEqual(self.snap(self.b, date(2025, 2, 1)).stage, "churned")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRetentionMetrics(RetentionAnalyticsCase):
    def assertRates(self, figures, expected):
        for key, value in expected.items():
            if value is None:
                self.assertIsNone(figures[key], key)
            else:
                self.assertAlmostEqual(figures[key], value, places=6, msg=key)

    def test_quarter_metrics_by_hand(self):
        """Q2 2026: starts end of March 2026, ends June 2026 (the running month)."""
        figures = self.report_totals("quarter", date(2026, 4, 1))
        # at start: A 3000, B 800, C 1000, D 1000, E 600 = 6400
        # at end: A 2500 (-500), C 1000, D 1200 (+200), F 300 (new); B and E lost (800 + 600)
        self.assertRates(
            figures,
            {
                "customers_start": 5,
                "customers_end": 4,
                "customers_gained": 1,
                "customers_new": 1,
                "customers_won_back": 0,
                "customers_lost": 2,
                "revenue_start": 6400,
                "revenue_churned": 1400,
                "revenue_contraction": 500,
                "revenue_expansion": 200,
                "customer_retention_rate": 60.0,
                "retention_rate": 60.0,
                "logo_churn_rate": 40.0,
                "churn_rate": 40.0,
                "revenue_churn_rate": 100 * 1400 / 6400,
                "gross_revenue_retention": 100 * 4500 / 6400,
                "net_revenue_retention": 100 * 4700 / 6400,
                # A 500 + D 200 repeat, F 300 new
                "revenue_period": 1000,
                "revenue_repeat": 700,
                "repeat_revenue_share": 70.0,
                "revenue_at_risk": 1200,
                # (A 3500 + C 1000 + D 1200 + F 300) / 4
                "average_lifetime_value": 1500.0,
            },
        )
        # the pivot's net retained column is the NRR numerator
        self.assertAlmostEqual(figures["revenue_net_retained"], 4700)
        self.assertAlmostEqual(figures["revenue_retained"], 4500)

    def test_year_metrics_by_hand(self):
        """2026 so far: starts end of 2025 (A 2000, B 800, D 1000, E 600), C and F new."""
        figures = self.report_totals("year", date(2026, 1, 1))
        self.assertRates(
            figures,
            {
                "customers_start": 4,
                "customers_end": 4,
                "customers_gained": 2,
                "customers_new": 2,
                "customer_retention_rate": 50.0,
                "logo_churn_rate": 50.0,
                "revenue_start": 4400,
                "gross_revenue_retention": 100 * 3000 / 4400,
                "net_revenue_retention": 100 * 3700 / 4400,
                # A 1500 + C 1000 + D 200 + F 300; repeat: A and D
                "repeat_revenue_share": 100 * 1700 / 3000,
            },
        )

    def test_month_of_a_win_back(self):
        figures = self.report_totals("month", date(2025, 5, 1))
        # start (April 2025): A, E; end: A, E, B (won back)
        self.assertRates(
            figures,
            {
                "customers_start": 2,
                "customers_end": 3,
                "customers_gained": 1,
                "customers_won_back": 1,
                "customers_new": 0,
                "customer_retention_rate": 100.0,
                "repeat_revenue_share": 100.0,
            },
        )

    def test_first_month_has_no_rates(self):
        """March 2024: no customer before, so no retention rate (empty, not 0)."""
        figures = self.report_totals("month", date(2024, 3, 1))
        self.assertRates(
            figures,
            {
                "customers_start": 0,
                "customers_end": 1,
                "customer_retention_rate": None,
                "logo_churn_rate": None,
                "gross_revenue_retention": None,
                "net_revenue_retention": None,
                "repeat_revenue_share": 0.0,
            },
        )

    def test_report_agrees_with_live_figures_every_period(self):
        """The SQL report gives what Python computes from the invoices, for every period."""
        for period_type, months in (("month", 1), ("quarter", 3), ("year", 12)):
            start = date(2024, 1, 1)
            while start <= date(2026, 6, 1):
                figures = self.report_totals(period_type, start)
                live = self.live_period(start, months)
                for key in (
                    "customers_start",
                    "customers_end",
                    "customers_gained",
                    "customers_lost",
                    "customer_retention_rate",
                    "logo_churn_rate",
                    "revenue_churn_rate",
                    "gross_revenue_retention",
                    "net_revenue_retention",
                    "repeat_revenue_share",
                    "average_lifetime_value",
                ):
                    if live[key] is None:
                        self.assertIsNone(figures[key], f"{period_type} {start} {key}")
                    else:
                        self.assertAlmostEqual(
                            figures[key], live[key], places=6, msg=f"{period_type} {start} {key}"
                        )
                start += relativedelta(months=months)

    def stored_rows(self):
        self.env.cr.execute(
            "SELECT * FROM retention_metric_period WHERE company_id = %s ORDER BY id",
            [self.company.id],
        )
        return self.env.cr.fetchall()

    def test_periods_rebuilt_from_a_month_on_are_those_of_a_full_rebuild(self):
        """The daily job rebuilds only the periods ending on or after the earliest month it
        rebuilt (here May: May, the second quarter, 2026 and June): the stored rows are what
        rebuilding every period gives, and the periods before were not rewritten."""
        Report = self.env["retention.metric.report"].sudo()
        self.make_invoice(self.e, "2026-05-25", 450)
        self.make_invoice(self.c, "2026-06-03", 120)
        before = {row[0]: row for row in self.stored_rows()}
        earlier_versions = self.row_versions(earlier=True)
        later_versions = self.row_versions(earlier=False)
        self.Snapshot._cron_update_snapshots()
        incremental = self.stored_rows()
        self.assertNotEqual(incremental, list(before.values()))
        # the periods that ended before May were not written again (same row versions)
        self.assertEqual(self.row_versions(earlier=True), earlier_versions)
        self.assertNotEqual(self.row_versions(earlier=False), later_versions)
        self.env.cr.execute(
            "SELECT MIN(month) FROM retention_snapshot WHERE company_id = %s", [self.company.id]
        )
        Report._rebuild_periods(self.company, self.env.cr.fetchone()[0])
        self.assertEqual(incremental, self.stored_rows())

    def row_versions(self, earlier):
        self.env.cr.execute(
            "SELECT id, xmin::text FROM retention_metric_period WHERE company_id = %s AND "
            "(period_start < date_trunc(period_type, DATE '2026-05-01')::date) = %s ORDER BY id",
            [self.company.id, earlier],
        )
        return self.env.cr.fetchall()

    def test_daily_job_keeps_the_stored_rows_current(self):
        """The report's rows are stored: a new invoice shows in them once the daily job has
        rebuilt its months, then the periods those months belong to."""
        Job = self.env["retention.snapshot.job"].sudo()
        periods = (("month", date(2026, 5, 1), 1), ("quarter", date(2026, 4, 1), 3))
        periods += (("year", date(2026, 1, 1), 12),)
        gained_before = self.report_totals("month", date(2026, 5, 1))["customers_gained"]
        self.make_invoice(self.e, "2026-05-25", 450)
        self.assertEqual(
            self.report_totals("month", date(2026, 5, 1))["customers_gained"],
            gained_before,
            "stored rows: unchanged until the job runs",
        )
        self.Snapshot._cron_update_snapshots()
        for period_type, start, months in periods:
            figures = self.report_totals(period_type, start)
            live = self.live_period(start, months)
            for key in ("customers_end", "customers_gained", "net_revenue_retention"):
                if live[key] is None:
                    self.assertIsNone(figures[key], f"{period_type} {key}")
                else:
                    self.assertAlmostEqual(figures[key], live[key], msg=f"{period_type} {key}")
        self.assertEqual(
            self.report_totals("month", date(2026, 5, 1))["customers_gained"], gained_before + 1
        )
        jobs = Job.search([("company_id", "=", self.company.id)])
        self.assertEqual(jobs.mapped("metrics_done_on"), jobs.mapped("done_on"))
        self.assertFalse(Job._claim_metrics(self.company), "nothing left to rebuild")
        # cancelled: the rows the invoice gave go away again
        move = self.env["account.move"].search(
            [("partner_id", "=", self.e.id), ("invoice_date", "=", "2026-05-25")]
        )
        move.button_draft()
        move.button_cancel()
        self.Snapshot._cron_update_snapshots()
        self.assertEqual(
            self.report_totals("month", date(2026, 5, 1))["customers_gained"], gained_before
        )
        for period_type, start, months in periods:
            figures = self.report_totals(period_type, start)
            live = self.live_period(start, months)
            self.assertEqual(figures["customers_end"], live["customers_end"], period_type)

    def test_filters(self):
        """Account manager, tag, country and industry filter the rows."""
        user = self.env.user
        tag = self.env["res.partner.category"].create({"name": "Analytics VIP"})
        self.a.write({"retention_account_manager_id": user.id, "category_id": [(4, tag.id)]})
        Report = self.env["retention.metric.report"]
        base = [
            ("company_id", "=", self.company.id),
            ("period_type", "=", "quarter"),
            ("period_start", "=", "2026-04-01"),
        ]
        self.assertEqual(
            Report.search(base + [("account_manager_id", "=", user.id)]).partner_id, self.a
        )
        self.assertEqual(Report.search(base + [("category_ids", "in", tag.ids)]).partner_id, self.a)
        self.assertEqual(len(Report.search(base)), 6)

    def test_cohorts(self):
        Cohort = self.env["retention.cohort.report"]
        base = [("company_id", "=", self.company.id), ("granularity", "=", "month")]

        def cell(domain, aggregates):
            [values] = Cohort._read_group(base + domain, [], aggregates)
            return values

        april = [("cohort", "=", "2025-04-01")]
        # A and E started in April 2025; one row each per month since (15 months)
        self.assertEqual(cell(april, ["__count"]), (30,))
        self.assertEqual(cell(april + [("period_offset", "=", 0)], ["cohort_size:max"]), (2,))
        # 12 months later (April 2026): A active, E lost
        self.assertEqual(
            cell(april + [("period_offset", "=", 12)], ["active_count:sum", "active_share:avg"]),
            (1, 50.0),
        )
        # 3 months later (July 2025): A's 1000 against the cohort's 1600 of April 2025
        self.assertAlmostEqual(
            cell(april + [("period_offset", "=", 3)], ["revenue_retained_share:avg"])[0], 62.5
        )
        # quarterly: Q2 2025 cohort (A, E), 4 quarters later (Q2 2026): A only, 500 of 1600
        quarter = [
            ("company_id", "=", self.company.id),
            ("granularity", "=", "quarter"),
            ("cohort", "=", "2025-04-01"),
            ("period_offset", "=", 4),
        ]
        [values] = Cohort._read_group(
            quarter, [], ["active_share:avg", "revenue:sum", "revenue_retained_share:avg"]
        )
        self.assertEqual(values[0], 50.0)
        self.assertAlmostEqual(values[1], 500)
        self.assertAlmostEqual(values[2], 100 * 500 / 1600)
        # B's cohort is March 2024 even though it was won back later
        self.assertEqual(
            Cohort.search(base + [("partner_id", "=", self.b.id)], limit=1).cohort,
            date(2024, 3, 1),
        )
