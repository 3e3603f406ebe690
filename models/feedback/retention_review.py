from odoo import fields, models


class RetentionReview(models.Model):
    """What feedback adds to account reviews: the requests made from a review."""

    _inherit = "retention.review"

    feedback_ids = fields.One2many("retention.feedback", "review_id")

    def action_request_feedback(self):
        """Email the reviewed customer a feedback request linked to this review."""
        self.ensure_one()
        Feedback = self.env["retention.feedback"]
        feedback = Feedback._request(
            self.partner_id, origin="review", review=self, company=self.company_id
        )
        return Feedback._notify_requested(feedback)
