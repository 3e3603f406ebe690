"""Browser tour: an admin creates a follow-up rule, runs it and sees it fire in the log."""

import shutil
from datetime import timedelta

from odoo import Command, fields, http
from odoo.tests import HttpCase, tagged

from .common import RetentionCase

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@tagged("post_install", "-at_install")
class TestFollowupTour(RetentionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo skips a tour silently when no browser is found: make that a failure instead.
        assert any(shutil.which(name) for name in BROWSERS), (
            "No Chromium found: install it (apt-get install chromium) to run the browser tours."
        )
        # Load the static file map once before the browser's parallel requests (CPython
        # gh-106905, fixed in 3.11.8, can otherwise fail them).
        http.root.statics  # noqa: B018 pylint: disable=pointless-statement
        today = fields.Date.context_today(cls.env["res.partner"])
        admin = cls.env.ref("base.user_admin")
        admin.write(
            {"company_ids": [Command.link(cls.env.company.id)], "company_id": cls.env.company.id}
        )
        cls.env["retention.followup.rule"].sudo().search([]).active = False
        cls.silent = cls.env["res.partner"].create(
            {
                "name": "Tour Silent Customer",
                "is_company": True,
                "retention_account_manager_id": admin.id,
            }
        )
        # a customer the team last talked to exactly 30 days ago, in this company
        cls.silent.with_company(cls.env.company).sudo().write(
            {
                "retention_stage": "active",
                "retention_last_contact_date": today - timedelta(days=30),
            }
        )

    def test_followup_rule_end_to_end(self):
        self.start_tour("/odoo", "customer_retention_followup_tour", login="admin")
        rule = (
            self.env["retention.followup.rule"]
            .sudo()
            .search([("name", "=", "Tour: call silent customers")])
        )
        self.assertEqual(rule.trigger, "no_contact")
        self.assertEqual(rule.days, 30)
        log = self.env["retention.followup.log"].sudo().search([("rule_id", "=", rule.id)])
        self.assertEqual(log.partner_id, self.silent)
        self.assertEqual(log.state, "done")
        self.assertEqual(self.silent.activity_ids.summary, "Call them")
