"""Browser tour of the analytics: the dashboard (a figure clicked through) and the cohorts."""

import shutil
from datetime import timedelta

from odoo import Command, fields, http
from odoo.tests import HttpCase, tagged

from .common import RetentionCase

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@tagged("post_install", "-at_install")
class TestAnalyticsTour(RetentionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo skips a tour silently when no browser is found: make that a failure instead.
        assert any(shutil.which(name) for name in BROWSERS), (
            "No Chromium found: install it (apt-get install chromium) to run the browser tours."
        )
        # Load the static file map once before the browser's parallel requests (CPython
        # gh-106905, fixed in 3.11.8, can otherwise fail them).
        http.root.statics  # noqa: B018
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
        # figures are per company: show the admin the company the invoices were made in
        cls.env.ref("base.user_admin").write(
            {"company_ids": [Command.link(cls.env.company.id)], "company_id": cls.env.company.id}
        )
        cls.steady, cls.risky = steady, risky

    def test_dashboard_and_cohorts(self):
        self.assertEqual(self.risky.with_company(self.env.company).retention_stage, "at_risk")
        self.start_tour("/odoo", "customer_retention_analytics_tour", login="admin")
