"""The customer's health history (issue #18): the chart of the stored months and "why it moved"
between two months, factor by factor, with what the facts said (and money hidden where it is
elsewhere). Today is 2026-06-15 (TODAY)."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import Form, tagged

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

    def test_why_it_moved_between_any_two_months(self):
        # end of December: 21 days overdue; end of February: 80 days overdue
        lines = self.customer._retention_why_moved(date(2025, 12, 1), date(2026, 2, 1))
        self.assertRegex(lines[0], r"^Payment behaviour -\d+: invoice 80 days overdue$", lines)
        changes = [abs(int(line.split(":")[0].split()[-1])) for line in lines]
        self.assertEqual(changes, sorted(changes, reverse=True), "largest first")
        # across the payment in March, the factor is back where it was: it did not move
        lines = self.customer._retention_why_moved(date(2025, 12, 1), date(2026, 4, 1))
        self.assertFalse(any("overdue" in line for line in lines), lines)

    def compare_form(self, customer=None):
        customer = customer or self.customer
        action = customer.action_retention_compare_months()
        self.assertEqual(action["res_model"], "retention.health.compare")
        return Form(self.env["retention.health.compare"].with_context(**action["context"]))

    def test_compare_months_dialog_lists_the_months_of_the_chart(self):
        Compare = self.env["retention.health.compare"]
        months = [value for value, _label in Compare._selection_months()]
        # the company's 24 months of history, then the current one
        self.assertEqual(months[0], "2024-06-01")
        self.assertEqual(months[-1], "2026-06-01")
        self.assertEqual(len(months), 25)
        self.assertIn(("2026-02-01", "February 2026"), Compare._selection_months())
        self.company.sudo().retention_history_months = 12
        self.assertEqual(Compare._selection_months()[0][0], "2025-06-01")

    def test_compare_months_dialog_opens_on_the_last_two_and_compares_any_two(self):
        form = self.compare_form()
        self.assertEqual((form.month_from, form.month_to), ("2026-05-01", "2026-06-01"))
        self.assertIn("From May 2026 to June 2026:", str(form.moved))
        form.month_from = "2025-12-01"
        form.month_to = "2026-02-01"
        html = str(form.moved)
        self.assertIn("From December 2025 to February 2026:", html)
        self.assertRegex(html, r"<li>Payment behaviour -\d+: invoice 80 days overdue</li>")
        # the other way round: the same comparison, the earlier month first
        form.month_from, form.month_to = "2026-02-01", "2025-12-01"
        self.assertEqual(str(form.moved), html)
        form.month_to = "2026-02-01"
        self.assertIn("Choose two different months.", str(form.moved))

    def test_compare_months_refuses_a_month_without_a_score(self):
        form = self.compare_form()
        form.month_from = "2025-10-01"  # before the first invoice
        self.assertIn("No health score for October 2025", str(form.moved))

    def test_compare_months_of_a_customer_without_history(self):
        newcomer = self.env["res.partner"].create({"name": "Kutaisi Print", "is_company": True})
        form = self.compare_form(newcomer)
        self.assertFalse(form.month_from)
        self.assertIn("Not enough history yet", str(form.moved))

    def test_payment_hidden_without_invoicing_rights(self):
        user = self.new_company_user("chart_user", "customer_retention.group_retention_user")
        customer = self.customer.with_user(user)
        lines = customer._retention_why_moved(date(2026, 1, 1), date(2026, 2, 1))
        self.assertEqual(lines, ["Factors computed from revenue and debts moved too (not shown)."])
        self.assertNotIn("overdue", str(customer.retention_health_moved))
        Compare = self.env["retention.health.compare"].with_user(user)
        wizard = Compare.with_context(default_partner_id=customer.id).create(
            {"month_from": "2026-01-01", "month_to": "2026-02-01"}
        )
        self.assertIn("(not shown)", str(wizard.moved))
        self.assertNotIn("overdue", str(wizard.moved))
        self.assertIn("<svg", str(customer.retention_health_history))

    def test_new_customer_says_there_is_no_history_yet(self):
        newcomer = self.env["res.partner"].create({"name": "Kutaisi Print", "is_company": True})
        self.assertIn("No health history yet", str(newcomer.retention_health_history))
        self.assertIn("Not enough history yet", str(newcomer.retention_health_moved))
