"""Browser tour: a customer answers a feedback request on the public page, not logged in."""

from odoo.tests import tagged

from .common import RetentionTourCase


@tagged("post_install", "-at_install")
class TestFeedbackTour(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.feedback = cls.env["retention.feedback"].sudo()._request(cls.customer, kind="nps")

    def test_answer_without_login(self):
        url = f"/retention/feedback/{self.feedback.feedback_token}"
        # no login: the visitor is the public user
        self.start_tour(url, "customer_retention_feedback_tour")
        self.feedback.invalidate_recordset()
        self.assertEqual(self.feedback.state, "answered")
        self.assertEqual(self.feedback.score, 9)
        self.assertEqual(self.feedback.category, "promoter")
        self.assertEqual(self.feedback.comment, "Great project team, thank you!")
        self.assertIn(self.contact, self.feedback.message_ids.author_id)
