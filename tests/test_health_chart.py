"""The customer's health history (issue #18): the chart of the stored months and "why it moved"
between two months, factor by factor, with what the facts said (and money hidden where it is
elsewhere). Today is 2026-06-15 (TODAY)."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, RetentionCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestHealthChart(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late = cls.make_late_payer(cls.customer)
        cls.env["retention.snapshot"]._backfill(cls.company)
        cls.builder._compute_partners(cls.customer.ids)

    def test_chart_shows_every_month_with_a_score_and_the_bands(self):
        history = self.customer._retention_health_months()
        months = [month for month, score in history if score is not None]
        # November 2025 (the first invoice) to May 2026 stored, June live
        self.assertEqual(months[0], date(2025, 11, 1))
        self.assertEqual(months[-1], date(2026, 6, 1))
        self.assertEqual(len(months), 8)
        self.assertEqual(history[-1][1], self.customer.retention_health_score)
        svg = str(self.customer.retention_health_history)
        self.assertEqual(svg.count("<circle"), 8)
        self.assertEqual(svg.count("<rect"), 3)  # at risk, watch, healthy
        self.assertIn("November 2025", svg)

    def test_why_it_moved_names_the_overdue_invoice(self):
        # end of January: 52 days overdue; end of February: 80 days overdue, a new invoice
        lines = self.customer._retention_why_moved(date(2026, 1, 1), date(2026, 2, 1))
        payment = [line for line in lines if line.startswith("Payment behaviour")]
        self.assertEqual(len(payment), 1, lines)
        self.assertRegex(payment[0], r"^Payment behaviour -\d+: invoice 80 days overdue$")
        # the February invoice came within the buying rhythm: recency stayed at full marks
        self.assertFalse(any(line.startswith("Recency") for line in lines), lines)
        # paid in March: payment comes back, with no reason (it did not cost points)
        lines = self.customer._retention_why_moved(date(2026, 2, 1), date(2026, 3, 1))
        self.assertTrue(any(line.startswith("Payment behaviour +") for line in lines), lines)
        self.assertFalse(any(":" in line for line in lines if "+" in line), lines)

    def test_default_comparison_is_the_last_two_months(self):
        html = str(self.customer.retention_health_moved)
        self.assertIn("From May 2026 to June 2026:", html)

    def test_payment_hidden_without_invoicing_rights(self):
        user = self.new_company_user("chart_user", "customer_retention.group_retention_user")
        customer = self.customer.with_user(user)
        lines = customer._retention_why_moved(date(2026, 1, 1), date(2026, 2, 1))
        self.assertEqual(lines, ["Factors computed from revenue and debts moved too (not shown)."])
        self.assertNotIn("overdue", str(customer.retention_health_moved))
        self.assertIn("<svg", str(customer.retention_health_history))

    def test_new_customer_says_there_is_no_history_yet(self):
        newcomer = self.env["res.partner"].create({"name": "Kutaisi Print", "is_company": True})
        self.assertIn("No health history yet", str(newcomer.retention_health_history))
        self.assertIn("Not enough history yet", str(newcomer.retention_health_moved))
