"""Browser tour of the review pack: Send Pack, the composer with the PDF attached, send."""

from datetime import date, timedelta

from odoo import fields
from odoo.tests import tagged

from .common import RetentionTourCase


@tagged("post_install", "-at_install")
class TestReviewPackTour(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["res.partner"])
        customer = cls.paying_customer("Tour Pack Customer", 900, email="pack@tour.example")
        admin = cls.show_admin_the_company()
        Review = cls.env["retention.review"].sudo()
        values = {"partner_id": customer.id, "company_id": cls.env.company.id, "user_id": admin.id}
        last = Review.create({**values, "date_planned": today - timedelta(days=90)})
        cls.env["retention.review.goal"].create(
            {"review_id": last.id, "description": "Monthly service report"}
        )
        last.outcome = "maintain"
        last._complete(today - timedelta(days=90))
        cls.review = Review.create({**values, "date_planned": max(today, date.today())})

    def test_send_pack(self):
        self.start_tour("/odoo", "customer_retention_review_pack_tour", login="admin")
        message = self.review.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn("our account review", message.subject)
        self.assertTrue(message.attachment_ids)
        self.assertTrue(message.attachment_ids.name.startswith("Review pack"))
