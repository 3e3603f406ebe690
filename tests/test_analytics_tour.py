"""Browser tour of the analytics: the dashboard (a figure clicked through) and the cohorts."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import RETENTION_USER, RetentionTourCase


@tagged("post_install", "-at_install")
class TestAnalyticsTour(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["res.partner"])
        steady = cls.env["res.partner"].create(
            {"name": "Tour Analytics Steady", "is_company": True}
        )
        risky = cls.env["res.partner"].create({"name": "Tour Analytics Risky", "is_company": True})
        for months_ago in (14, 8, 4, 1):
            day = today - timedelta(days=30 * months_ago)
            cls.pay(cls.make_invoice(steady, day, 1500), day)
        for months_ago in (11, 10, 9):
            cls.make_invoice(risky, today - timedelta(days=30 * months_ago), 900)
        cls.env["retention.profile.builder"]._compute_partners((steady | risky).ids)
        cls.env["retention.snapshot"]._backfill(cls.env.company)
        cls.show_admin_the_company()
        cls.steady, cls.risky = steady, risky

    def test_dashboard_and_cohorts(self):
        self.assertEqual(self.risky.with_company(self.env.company).retention_stage, "at_risk")
        self.start_tour("/odoo", "customer_retention_analytics_tour", login="admin")

    def test_dashboard_without_invoicing_rights(self):
        """Issue #17: the at-risk panel is shown to a Retention user without invoicing rights,
        without amounts."""
        user = self.new_company_user("tour_no_money", f"base.group_user,{RETENTION_USER}")
        self.assertFalse(user.has_group("account.group_account_invoice"))
        self.start_tour("/odoo", "customer_retention_dashboard_no_money_tour", login=user.login)
