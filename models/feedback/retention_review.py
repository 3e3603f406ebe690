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

    def _pack_feedback(self, bounds):
        """The answers of the reviews' customers in each review's period, for the review pack
        (hook of models/reviews): one search for all the reviews."""
        result = super()._pack_feedback(bounds)
        if not self or not bounds:
            return result
        # sudo: the pack shows the customer's own answers to whoever may read the review
        answers = (
            self.env["retention.feedback"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "in", self.partner_id.ids),
                    ("company_id", "in", self.company_id.ids),
                    ("state", "=", "answered"),
                    ("date_answered", ">=", min(start for start, _end in bounds.values())),
                    ("date_answered", "<", max(end for _start, end in bounds.values())),
                ],
                ["partner_id", "company_id", "kind", "score", "comment", "date_answered"],
                order="date_answered desc, id desc",
            )
        )
        for review in self:
            start, end = bounds[review.id]
            result[review.id] = result.get(review.id, []) + [
                {
                    "date": answer.date_answered.date(),
                    "kind": answer.kind,
                    "score": answer.score,
                    "comment": answer.comment or "",
                }
                for answer in answers
                if answer.partner_id == review.partner_id
                and answer.company_id == review.company_id
                and start <= answer.date_answered < end
            ]
        return result
