"""Browser tour of an account review, from the Reviews menu to a completed review."""

from odoo.tests import tagged

from .common import RetentionTourCase


@tagged("post_install", "-at_install")
class TestRetentionReviewTour(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.paying_customer("Tour Review Customer", 1200)
        admin = cls.show_admin_the_company()
        cls.review = (
            cls.env["retention.review"]
            .sudo()
            .create(
                {"partner_id": customer.id, "company_id": cls.env.company.id, "user_id": admin.id}
            )
        )
        cls.customer_reviewed = customer

    def test_review_end_to_end(self):
        self.start_tour("/odoo", "customer_retention_review_tour", login="admin")
        self.assertEqual(self.review.state, "done")
        self.assertEqual(self.review.outcome, "renew")
        self.assertFalse(self.review.activity_ids)
        self.assertTrue(
            self.customer_reviewed.with_company(self.env.company).retention_next_review_date
        )
