"""Risk cases with reasons (issue #19): opened by the shipped follow-up action when a customer
turns At Risk, closed by the stages the builder computes, lost only with a reason."""

from datetime import date

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import RETENTION_USER, TODAY, FollowupCase


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRiskCases(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Risk = cls.env["retention.risk"]
        cls.price = cls.env.ref("customer_retention.churn_reason_price")

    def at_risk_rule(self):
        return self.make_rule(
            "stage_change",
            actions=[{"action_type": "risk", "assignee": "account_manager"}],
            target_stage="at_risk",
        )

    def cases(self, partner=None):
        return self.Risk.search([("partner_id", "=", (partner or self.customer).id)])

    def test_shipped_rule_opens_a_case(self):
        rule = self.env.ref("customer_retention.retention_followup_rule_risk_case").sudo()
        self.assertEqual(rule.action_ids.action_type, "risk")
        self.assertEqual(rule.target_stage, "at_risk")
        self.assertEqual(len(self.env["retention.churn.reason"].search([])), 9)

    def test_entering_at_risk_opens_one_case_for_the_account_manager(self):
        rule = self.at_risk_rule()
        self.set_figures(
            self.customer, retention_stage="at_risk", retention_stage_date="2026-06-10"
        )
        rule._run(commit=False)
        case = self.cases()
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "open")
        self.assertEqual(case.kind, "risk")
        self.assertEqual(case.user_id, self.account_manager)
        rule._run(commit=False)
        self.assertEqual(len(self.cases()), 1)

    def test_switched_off_rule_opens_nothing(self):
        rule = self.at_risk_rule()
        rule.active = False
        self.set_figures(
            self.customer, retention_stage="at_risk", retention_stage_date="2026-06-10"
        )
        self.env["retention.followup.rule"].search([])._run(commit=False)
        self.assertFalse(self.cases())

    def test_closes_itself_recovered_and_lost(self):
        back = self.Risk.create({"partner_id": self.customer.id})
        gone = self.Risk.create({"partner_id": self.other_customer.id, "state": "plan"})
        self.set_figures(self.customer, retention_stage="active")
        self.set_figures(self.other_customer, retention_stage="churned")
        self.Risk._sync_with_stages((self.customer | self.other_customer).ids, self.company)
        self.assertEqual(back.state, "recovered")
        self.assertEqual(gone.state, "lost")
        self.assertTrue(back.date_closed)
        self.assertEqual(back.save_rate, 100)
        self.assertEqual(gone.save_rate, 0)

    def test_builder_recovers_the_case_of_an_active_customer(self):
        for month in range(13):  # monthly, 2025-06 .. 2026-06, all paid
            day = date(2025, 6, 1) + relativedelta(months=month)
            self.pay(self.make_invoice(self.customer, day, 1000), day)
        self.customer.message_post(body="Quarterly call", message_type="comment")
        case = self.Risk.create({"partner_id": self.customer.id})
        self.recompute()
        self.assertEqual(self.customer.with_company(self.company).retention_stage, "active")
        self.assertEqual(case.state, "recovered")

    def test_lost_by_hand_asks_for_the_reason(self):
        case = self.Risk.create({"partner_id": self.customer.id})
        with self.assertRaises(UserError):
            case.action_lost()
        case.reason_id = self.price
        case.action_lost()
        self.assertEqual(case.state, "lost")
        self.assertEqual(self.customer.retention_churn_reason_id, self.price)

    def test_roles(self):
        case = self.Risk.create(
            {"partner_id": self.customer.id, "user_id": self.account_manager.id}
        )
        # a Retention user works the case, cannot set the customer's churn reason by hand
        case.with_user(self.account_manager).action_plan()
        self.assertEqual(case.state, "plan")
        with self.assertRaises(AccessError):
            self.customer.with_user(self.account_manager).write(
                {"retention_churn_reason_id": self.price.id}
            )
        # the lost revenue is money: not for users without invoicing rights
        with self.assertRaises(AccessError):
            case.with_user(self.account_manager).read(["revenue_lost"])
        # an employee without Retention rights reads no case
        employee = self.new_company_user("risk_employee", "base.group_user")
        with self.assertRaises(AccessError):
            case.with_user(employee).read(["state"])
        # a Retention user of another company does not see it
        other = self.add_other_company("Risk Branch")
        stranger = self.new_company_user("risk_stranger", RETENTION_USER, company=other)
        self.assertFalse(self.Risk.with_user(stranger).search([("id", "=", case.id)]))

    def test_users_cannot_forge_what_the_module_records(self):
        """RPC write/create of the closing time, the lost revenue or the feedback link is refused,
        and a client's context key does not skip the reason a loss needs."""
        case = self.Risk.create(
            {"partner_id": self.customer.id, "user_id": self.account_manager.id}
        )
        as_manager = case.with_user(self.account_manager)
        for values in (
            {"date_closed": "2026-06-01 09:00:00"},
            {"revenue_lost": 99999},
            {"feedback_id": False},
        ):
            with self.assertRaises(AccessError):
                as_manager.write(values)
        with self.assertRaises(AccessError):
            self.Risk.with_user(self.account_manager).create(
                {"partner_id": self.customer.id, "date_closed": "2026-06-01 09:00:00"}
            )
        with self.assertRaises(UserError):
            as_manager.with_context(retention_risk_auto=True).write({"state": "lost"})
        self.assertEqual(case.state, "open")
        # closing and reopening set and clear the closing time themselves
        as_manager.write({"state": "lost", "reason_id": self.price.id})
        self.assertTrue(case.date_closed)
        as_manager.action_reopen()
        self.assertFalse(case.date_closed)
