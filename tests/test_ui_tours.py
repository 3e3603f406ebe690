"""Browser tours of the main screens, in headless Chromium."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import RetentionTourCase


@tagged("post_install", "-at_install")
class TestRetentionTours(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["res.partner"])
        steady = cls.env["res.partner"].create({"name": "Tour Steady LLC", "is_company": True})
        risky = cls.env["res.partner"].create({"name": "Tour Risky Ltd", "is_company": True})
        for months_ago in (6, 4, 1):
            day = today - timedelta(days=30 * months_ago)
            cls.pay(cls.make_invoice(steady, day, 1500), day)
        # a monthly buyer silent for eight months, with an unpaid invoice
        for months_ago in (11, 10, 9):
            cls.make_invoice(risky, today - timedelta(days=30 * months_ago), 900)
        cls.env["retention.profile.builder"]._compute_partners((steady | risky).ids)
        cls.env["retention.snapshot"]._backfill(cls.env.company)  # the health history
        cls.show_admin_the_company()
        cls.steady, cls.risky = steady, risky

    def test_customers_screen(self):
        self.assertEqual(self.steady.retention_stage, "active")
        self.assertEqual(self.risky.retention_stage, "at_risk")
        self.start_tour("/odoo", "customer_retention_customers_tour", login="admin")
