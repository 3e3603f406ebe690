"""Rates stay within their range on awkward histories (issue #17): a credit note dated before
the customer's first invoice, revenue netting to zero, a customer only refunded. The stored
report (SQL) gives what engine.metrics computes from the invoices, for every period."""

from datetime import date

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.tests import BaseCase, tagged

from ..engine import metrics
from .common import TODAY, RetentionAnalyticsCase

RATES = list(metrics.RATE_RANGES)


@tagged("post_install", "-at_install")
class TestRateRanges(BaseCase):
    def test_repeat_share_counts_each_part_when_positive(self):
        self.assertEqual(metrics.repeat_revenue_share(700, 300), 70.0)
        # the new customers net to a refund: all positive revenue is repeat revenue
        self.assertEqual(metrics.repeat_revenue_share(1000, -800), 100.0)
        # the repeat customers net to a refund: no repeat revenue
        self.assertEqual(metrics.repeat_revenue_share(-500, 300), 0.0)
        # nothing positive: undefined, not 0
        self.assertIsNone(metrics.repeat_revenue_share(-50, -100))
        self.assertIsNone(metrics.repeat_revenue_share(0, 0))

    def test_every_rate_clamps_to_its_range(self):
        self.assertEqual(metrics.ratio(150, 100, (0.0, 100.0)), 100.0)
        self.assertEqual(metrics.ratio(-5, 100, (0.0, 100.0)), 0.0)
        self.assertEqual(metrics.ratio(250, 100, metrics.RATE_RANGES["net_revenue_retention"]), 250)
        self.assertIsNone(metrics.ratio(5, 0, (0.0, 100.0)))
        for key in ("customer_retention_rate", "logo_churn_rate", "gross_revenue_retention"):
            self.assertEqual(metrics.RATE_RANGES[key], (0.0, 100.0))

    def test_refunds_alone_are_neither_new_nor_repeat(self):
        rows = [
            metrics.CustomerPeriod(True, True, 1000, 1000, revenue_period=1000, repeat=True),
            # credit note before its first invoice (first invoiced later)
            metrics.CustomerPeriod(False, False, 0, -800, revenue_period=-800),
        ]
        figures = metrics.summarize(rows)
        self.assertEqual(figures["revenue_period"], 200)
        self.assertEqual(figures["revenue_new"], 0)
        self.assertEqual(figures["repeat_revenue_share"], 100.0)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestMetricEdgeCases(RetentionAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.g, cls.h, cls.i = (
            Partner.create({"name": f"Analytics {name}", "is_company": True})
            for name in ("G Refund First", "H Nets To Zero", "I Only Refunded")
        )
        # G: a credit note in January 2026, its first invoice only in March
        cls.make_invoice(cls.g, "2026-01-20", 800, move_type="out_refund")
        cls.make_invoice(cls.g, "2026-03-10", 300)
        # H: invoiced and fully refunded in the same month
        invoice_h = cls.make_invoice(cls.h, "2025-09-10", 1000)
        cls.make_invoice(
            cls.h, "2025-09-20", 1000, move_type="out_refund", reversed_entry=invoice_h
        )
        # I: never invoiced, only refunded
        cls.make_invoice(cls.i, "2026-02-05", 400, move_type="out_refund")
        cls.customers |= cls.g | cls.h | cls.i
        cls.Snapshot._backfill(cls.company)

    def periods(self):
        for period_type, months in (("month", 1), ("quarter", 3), ("year", 12)):
            start = date(2024, 1, 1)
            while start <= date(2026, 6, 1):
                yield period_type, months, start
                start += relativedelta(months=months)

    def test_every_rate_in_range_and_as_the_engine_says(self):
        for period_type, months, start in self.periods():
            figures = self.report_totals(period_type, start)
            live = self.live_period(start, months)
            for key in RATES:
                label = f"{period_type} {start} {key}"
                low, high = metrics.RATE_RANGES[key]
                if figures[key] is not None:
                    self.assertGreaterEqual(figures[key], low, label)
                    if high is not None:
                        self.assertLessEqual(figures[key], high, label)
                if live[key] is None:
                    self.assertIsNone(figures[key], label)
                else:
                    self.assertAlmostEqual(figures[key], live[key], places=6, msg=label)
            self.assertAlmostEqual(figures["revenue_new"], live["revenue_new"], places=2)

    def test_credit_note_before_the_first_invoice(self):
        # January 2026: A 1000 (repeat), G -800 not yet invoiced: was 1000 / 200 = 500 %
        january = self.report_totals("month", date(2026, 1, 1))
        self.assertEqual(january["revenue_period"], 200)
        self.assertEqual(january["revenue_repeat"], 1000)
        self.assertEqual(january["revenue_new"], 0)
        self.assertEqual(january["repeat_revenue_share"], 100.0)
        # March 2026: C's credit note -500 is repeat (first invoiced in February), G new 300
        march = self.report_totals("month", date(2026, 3, 1))
        self.assertEqual(march["revenue_repeat"], -500)
        self.assertEqual(march["revenue_new"], 300)
        self.assertEqual(march["repeat_revenue_share"], 0.0)

    def test_revenue_netting_to_zero_and_only_refunded(self):
        # September 2025: H's invoice and credit note cancel out; nothing else that month
        september = self.report_totals("month", date(2025, 9, 1))
        self.assertEqual(september["revenue_period"], 0)
        self.assertIsNone(september["repeat_revenue_share"])
        # H is never active, I neither: not counted as customers
        self.assertFalse(self.snap(self.h, date(2025, 9, 1)).is_active)
        february = self.report_totals("month", date(2026, 2, 1))
        # C new 1500, I -400 (only refunded): the share ignores I
        self.assertEqual(february["revenue_new"], 1500)
        self.assertEqual(february["repeat_revenue_share"], 0.0)

    def test_customer_lifetime_share_in_range(self):
        self.recompute(self.g | self.i)
        for partner in (self.g, self.i):
            share = partner.with_company(self.company).retention_repeat_revenue_share
            self.assertGreaterEqual(share, 0.0)
            self.assertLessEqual(share, 100.0)

    def test_cohorts_period_zero_is_the_cohort(self):
        Cohort = self.env["retention.cohort.report"]
        base = [("company_id", "=", self.company.id)]

        def cell(domain, aggregates):
            [values] = Cohort._read_group(base + domain, [], aggregates)
            return values

        # G: first invoiced in March 2026 after a bigger credit note (12-month revenue below
        # zero): still the cohort's member in its period 0
        g_zero = [("partner_id", "=", self.g.id), ("granularity", "=", "month")]
        g_zero += [("period_offset", "=", 0)]
        self.assertEqual(cell(g_zero, ["active_share:avg", "invoiced_share:avg"]), (100.0, 100.0))
        # the total's period 0 reads 100 %, in months and quarters
        for granularity in ("month", "quarter"):
            zero = [("granularity", "=", granularity), ("period_offset", "=", 0)]
            self.assertEqual(cell(zero, ["active_share:avg", "invoiced_share:avg"]), (100.0, 100.0))
        # I (only refunded) is in no cohort
        self.assertFalse(Cohort.search_count(base + [("partner_id", "=", self.i.id)]))
        # April 2025 (A, E): in July 2025 A is invoiced, E not; in April 2026 neither, while
        # A is still active (invoiced in the 12 months before)
        april = [("granularity", "=", "month"), ("cohort", "=", "2025-04-01")]
        self.assertEqual(cell(april + [("period_offset", "=", 3)], ["invoiced_share:avg"]), (50.0,))
        self.assertEqual(
            cell(april + [("period_offset", "=", 12)], ["invoiced_share:avg", "active_share:avg"]),
            (0.0, 50.0),
        )

    def test_cohorts_screen_opens_on_the_whole_history_in_quarters(self):
        action = self.env.ref("customer_retention.retention_cohort_report_action")
        self.assertIn("search_default_quarterly", action.context)
        self.assertNotIn("first_year", action.context)
        arch = self.env["retention.cohort.report"].get_view(view_type="pivot")
        self.assertIn('name="invoiced_share"', arch["arch"])
        self.assertIn('interval="quarter"', arch["arch"])
