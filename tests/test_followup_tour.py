"""Browser tour: an admin creates a follow-up rule, runs it and sees it fire in the log."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import RetentionTourCase


@tagged("post_install", "-at_install")
class TestFollowupTour(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["res.partner"])
        admin = cls.show_admin_the_company()
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
