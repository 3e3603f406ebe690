"""Feedback in the follow-up rules: the "request feedback" action (N days after a project
closes, on a review, on a customer) and the "feedback answered" trigger per category, each
event run once."""

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TODAY, FollowupCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackFollowups(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Feedback = cls.env["retention.feedback"]
        cls.other_customer.email = "office@zm.example"

    def feedback_rule(self, trigger, kind="csat", **values):
        return self.make_rule(
            trigger, [{"action_type": "feedback", "feedback_kind": kind}], **values
        )

    def test_request_feedback_days_after_project_closed(self):
        rule = self.feedback_rule("project_closed", days=3)
        self.assertIn("feedback request", rule.summary)
        project = self.make_project(partner=self.contact)
        with freeze_time("2026-06-10"):
            project.action_archive()
            self.env.flush_all()
        rule._run()
        log = self.logs(rule)
        self.assertEqual(log.state, "done", log.error)
        feedback = self.Feedback.search([("project_id", "=", project.id)])
        self.assertEqual(len(feedback), 1)
        self.assertEqual(
            (feedback.origin, feedback.kind, feedback.partner_id, feedback.contact_id),
            ("project", "csat", self.customer, self.contact),
        )
        self.assertTrue(feedback.message_ids.filtered(lambda m: m.message_type == "comment"))
        rule._run()
        self.assertEqual(len(self.Feedback.search([("project_id", "=", project.id)])), 1)

    def test_request_feedback_on_review_outcome_and_customer(self):
        rule = self.feedback_rule("review_outcome", kind="nps", review_outcome="renew")
        review = self.env["retention.review"].create({"partner_id": self.customer.id})
        # sudo: a review completed as the Complete button would (users cannot write the status)
        review.sudo().write({"outcome": "renew", "state": "done", "date_done": TODAY})
        rule._run()
        self.assertEqual(self.logs(rule).state, "done", self.logs(rule).error)
        self.assertEqual(review.feedback_ids.origin, "review")
        self.assertEqual(review.feedback_ids.kind, "nps")
        # a customer without email: logged as failed, retried later
        self.customer.child_ids.email = False
        other_rule = self.feedback_rule("renewal_partner", days=30)
        self.customer.retention_renewal_date = "2026-07-01"
        other_rule._run()
        self.assertEqual(self.logs(other_rule).state, "failed")
        self.assertIn("add an email address", self.logs(other_rule).error)

    def test_feedback_action_only_where_it_fits(self):
        with self.assertRaises(ValidationError):
            self.feedback_rule("invoice_paid")

    def test_feedback_answered_trigger_per_category(self):
        detractors = self.make_rule(
            "feedback_answered",
            [
                {
                    "activity_type_id": self.todo.id,
                    "summary": "Recovery call",
                    "assignee": "account_manager",
                }
            ],
            feedback_category="detractor",
        )
        referral = self.env.ref("customer_retention.mail_template_feedback_referral")
        promoters = self.make_rule(
            "feedback_answered",
            [{"action_type": "email", "template_id": referral.id}],
            feedback_category="promoter",
        )
        self.assertIn("as a Detractor", detractors.summary)
        unhappy = self.Feedback._request(self.customer, kind="nps")
        happy = self.Feedback._request(self.other_customer, kind="csat")
        self.Feedback._request(self.customer)  # never answered: no event
        unhappy._answer(4)
        happy._answer(5)
        (detractors | promoters)._run()
        detractor_log = self.logs(detractors)
        self.assertEqual(detractor_log.res_model, "retention.feedback")
        self.assertEqual(detractor_log.res_id, unhappy.id)
        self.assertEqual(detractor_log.partner_id, self.customer)
        self.assertEqual(detractor_log.event_key, "answered-detractor")
        self.assertEqual(detractor_log.state, "done", detractor_log.error)
        self.assertEqual(self.activities(unhappy, "Recovery call").user_id, self.account_manager)
        promoter_log = self.logs(promoters)
        self.assertEqual(promoter_log.res_id, happy.id)
        self.assertEqual(promoter_log.state, "done", promoter_log.error)
        self.assertIn("Email", promoter_log.result)
        # once per event: reruns and a changed answer in the same category add nothing
        unhappy._answer(2)
        (detractors | promoters)._run()
        self.assertEqual(len(self.logs(detractors)), 1)
        self.assertEqual(len(self.logs(promoters)), 1)
        # a customer turning promoter fires the promoter rule for that request
        unhappy._answer(10)
        promoters._run()
        self.assertEqual(len(self.logs(promoters)), 2)

    def test_shipped_rules(self):
        # shipped for the main company: read as superuser
        promoter_rule = self.env.ref("customer_retention.retention_followup_rule_promoter").sudo()
        self.assertEqual(promoter_rule.trigger, "feedback_answered")
        self.assertEqual(promoter_rule.feedback_category, "promoter")
        after_project = self.env.ref("customer_retention.retention_followup_rule_feedback").sudo()
        self.assertEqual(after_project.action_ids.action_type, "feedback")
