"""Closing the detractor loop (issue #19): after a detractor case is resolved, the shipped rule
"Ask again after a detractor case is resolved" (inactive until switched on) asks the contact
who answered for feedback again, N days later, once per case. Today is 2026-06-15."""

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FeedbackCase

RULE = "customer_retention.retention_followup_rule_detractor_ask_again"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDetractorAskAgain(FeedbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env.ref(RULE).sudo()
        # the shipped rule (of the main company), switched on for the test's company
        cls.rule.write({"active": True, "date_from": "2026-01-01", "company_id": cls.company.id})

    def detractor_case(self, partner=None, state="recovered"):
        """A detractor answer today and its case, closed today as ``state``."""
        feedback = self.request(partner)
        feedback._answer(2, "The report came late")
        case = feedback.risk_id
        values = {"resolution_note": "Called; the next reports come on the 1st."}
        if state == "lost":
            values["reason_id"] = self.env.ref("customer_retention.churn_reason_price").id
        case.write(values)
        case.write({"state": state})
        return feedback, case

    def asked_again(self, partner=None):
        return self.Feedback.search(
            [
                ("partner_id", "=", (partner or self.customer).id),
                ("origin", "=", "detractor_case"),
            ]
        )

    def test_shipped_rule_is_off_and_says_what_it_does(self):
        rule = self.env.ref(RULE).sudo()
        rule.invalidate_recordset()
        self.assertEqual(rule.trigger, "detractor_resolved")
        self.assertEqual(rule.days, 30)
        self.assertEqual(rule.action_ids.action_type, "feedback")
        self.assertIn("a detractor case was resolved 30 days ago", rule.summary)
        self.assertIn("feedback request", rule.summary)
        self.assertEqual(rule.record_model, "retention.risk")

    def test_asks_the_contact_again_once_after_n_days(self):
        feedback, case = self.detractor_case()
        self.rule._run(commit=False)
        self.assertFalse(self.asked_again(), "not before 30 days")
        with freeze_time("2026-07-15"):
            self.rule._run(commit=False)
            again = self.asked_again()
            self.assertEqual(len(again), 1)
            self.assertEqual(again.contact_id, feedback.contact_id)
            self.assertEqual(again.state, "requested")
            log = self.env["retention.followup.log"].search([("rule_id", "=", self.rule.id)])
            self.assertEqual(
                (log.res_model, log.res_id, log.state), ("retention.risk", case.id, "done")
            )
            self.assertEqual(log.record_name, case.display_name)
            # a rerun, or the case reopened and resolved again, asks nobody twice
            self.rule._run(commit=False)
            case.action_reopen()
            case.action_recovered()
        with freeze_time("2026-08-20"):
            self.rule._run(commit=False)
        self.assertEqual(len(self.asked_again()), 1)

    def test_one_request_per_resolved_case(self):
        self.detractor_case()
        self.detractor_case(self.other_customer)
        with freeze_time("2026-07-16"):
            self.rule._run(commit=False)
        self.assertEqual(len(self.asked_again()), 1)
        self.assertEqual(len(self.asked_again(self.other_customer)), 1)

    def test_lost_and_open_cases_are_not_asked_again(self):
        self.detractor_case(state="lost")
        feedback = self.request(self.other_customer)
        feedback._answer(1)  # its case stays open
        with freeze_time("2026-07-16"):
            self.rule._run(commit=False)
        self.assertFalse(self.asked_again())
        self.assertFalse(self.asked_again(self.other_customer))
