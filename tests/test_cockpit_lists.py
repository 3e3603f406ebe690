"""The cockpit's lists (issue #19): who sees what, the detractor loop, the dashboard KPI."""

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import RETENTION_MANAGER, RETENTION_USER, TODAY, FeedbackCase


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDetractorLoop(FeedbackCase):
    def test_detractor_answer_opens_a_case_due_in_two_working_days(self):
        feedback = self.request()
        feedback._answer(3, "Late again")
        case = feedback.risk_id
        self.assertTrue(case)
        self.assertEqual(case.kind, "detractor")
        self.assertEqual(case.user_id, self.account_manager)
        self.assertEqual(case.partner_id, self.customer)
        # 2026-06-15 is a Monday: two working days later is Wednesday
        self.assertEqual(str(case.date_next), "2026-06-17")
        # a changed answer opens no second case
        feedback._answer(2, "Very late")
        self.assertEqual(
            self.env["retention.risk"].search_count([("feedback_id", "=", feedback.id)]), 1
        )

    def test_due_date_skips_the_weekend(self):
        self.company.retention_detractor_due_days = 5
        feedback = self.request()
        feedback._answer(1)
        self.assertEqual(str(feedback.risk_id.date_next), "2026-06-22")

    def test_closing_needs_a_resolution_note_and_counts_in_the_kpi(self):
        feedback = self.request()
        feedback._answer(0)
        case = feedback.risk_id.with_user(self.account_manager)
        with self.assertRaises(UserError):
            case.action_recovered()
        case.resolution_note = "Called, agreed a discount on the next sprint"
        case.action_recovered()
        self.assertEqual(case.state, "recovered")
        self.assertTrue(case.closed_within_7_days)
        loop = self.env["retention.dashboard"]._detractor_loop(self.company)
        self.assertEqual(loop["closed_within_7_days"], 100.0)
        self.assertIsNone(loop["previous"])

    def test_promoter_opens_no_case(self):
        feedback = self.request()
        feedback._answer(10)
        self.assertFalse(feedback.risk_id)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCockpitLists(FeedbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_am = cls.new_company_user(
            "ck_other", f"base.group_user,{RETENTION_USER}", name="Otar Other"
        )
        cls.manager = cls.new_company_user(
            "ck_manager", f"base.group_user,{RETENTION_MANAGER}", name="Maka Manager"
        )
        cls.other_customer.retention_account_manager_id = cls.other_am
        company = cls.env.company
        for partner, stage in ((cls.customer, "at_risk"), (cls.other_customer, "at_risk")):
            partner.with_company(company).sudo().write(
                {
                    "retention_stage": stage,
                    "retention_health_score": 40,
                    "retention_expected_invoice_date": "2026-05-01",
                    "retention_main_reason_data": '{"factor": "engagement", "code": '
                    '"no_contact", "params": {"days": 75}}',
                    "retention_renewal_date": "2026-07-15",
                }
            )
        cls.env["retention.risk"].create(
            {"partner_id": cls.customer.id, "user_id": cls.account_manager.id}
        )
        cls.env["retention.review"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.account_manager.id,
                "date_planned": "2026-06-10",
            }
        )
        cls.customer.activity_schedule(
            "mail.mail_activity_data_todo",
            summary="Call back",
            user_id=cls.account_manager.id,
            date_deadline="2026-06-14",
        )

    def data(self, user, **kwargs):
        return self.env["retention.cockpit"].with_user(user).get_cockpit_data(**kwargs)

    def test_every_list_of_the_account_manager(self):
        data = self.data(self.account_manager)
        for name in ("at_risk", "reviews", "renewals", "reengage", "risk_cases", "activities"):
            self.assertEqual({item["partner_id"] for item in data[name]}, {self.customer.id}, name)
        self.assertEqual(data["at_risk"][0]["reason"], "no contact for 75 days")
        self.assertEqual(data["reengage"][0]["date"], "2026-05-01")
        self.assertTrue(data["reviews"][0]["overdue"])
        self.assertTrue(data["activities"][0]["overdue"])
        self.assertEqual(data["renewals"][0]["date"], "2026-07-15")

    def test_a_user_sees_only_their_own(self):
        data = self.data(self.other_am)
        self.assertEqual([i["partner_id"] for i in data["at_risk"]], [self.other_customer.id])
        self.assertFalse(data["risk_cases"])
        with self.assertRaises(AccessError):
            self.data(self.other_am, user_id=self.account_manager.id)

    def test_a_manager_picks_another_user(self):
        data = self.data(self.manager, user_id=self.account_manager.id)
        self.assertEqual(data["user"]["id"], self.account_manager.id)
        self.assertEqual([i["partner_id"] for i in data["at_risk"]], [self.customer.id])
        self.assertTrue(data["money"])

    def test_money_reasons_hidden(self):
        self.customer.with_company(self.env.company).sudo().write(
            {
                "retention_main_reason_data": '{"factor": "payment", "code": '
                '"invoice_overdue", "params": {"days": 45}}'
            }
        )
        data = self.data(self.account_manager)
        self.assertFalse(data["money"])
        self.assertEqual(data["at_risk"][0]["reason"], "")
        data = self.data(self.manager, user_id=self.account_manager.id)
        self.assertEqual(data["at_risk"][0]["reason"], "invoice 45 days overdue")

    def test_employee_without_retention_rights(self):
        employee = self.new_company_user("ck_employee", "base.group_user")
        with self.assertRaises(AccessError):
            self.data(employee)
