from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.reviews.retention_review import OUTCOMES


class RetentionReviewComplete(models.TransientModel):
    """The dialog behind the review's Complete button: the outcome is required, the reason
    too when the customer is lost; notes and next steps start from the review's."""

    _name = "retention.review.complete"
    _description = "Complete an Account Review"

    review_id = fields.Many2one(
        "retention.review", required=True, readonly=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="review_id.partner_id", string="Customer")
    outcome = fields.Selection(
        OUTCOMES,
        required=True,
        compute="_compute_from_review",
        store=True,
        readonly=False,
        precompute=True,
    )
    lost_reason = fields.Char(
        compute="_compute_from_review",
        store=True,
        readonly=False,
        precompute=True,
    )
    churn_reason_id = fields.Many2one(
        "retention.churn.reason",
        help="Kept on the customer with the loss (the churn reports count it).",
    )
    notes = fields.Html(compute="_compute_from_review", store=True, readonly=False, precompute=True)
    next_steps = fields.Html(
        string="Agreed Next Steps",
        compute="_compute_from_review",
        store=True,
        readonly=False,
        precompute=True,
    )

    @api.depends("review_id")
    def _compute_from_review(self):
        for wizard in self:
            review = wizard.review_id
            wizard.outcome = review.outcome
            wizard.lost_reason = review.lost_reason
            wizard.notes = review.notes
            wizard.next_steps = review.next_steps

    def action_confirm(self):
        if self.outcome == "lost" and not self.churn_reason_id:
            raise UserError(self.env._("Choose the churn reason of a customer lost at the review."))
        self._complete_review(fields.Date.context_today(self))
        return {"type": "ir.actions.act_window_close"}

    def _complete_review(self, day):
        """Write the dialog's answers on the review and complete it as done on ``day``
        (today from the button; earlier days from the demo data)."""
        self.ensure_one()
        self.review_id.write(
            {
                "outcome": self.outcome,
                "lost_reason": self.lost_reason if self.outcome == "lost" else False,
                "notes": self.notes,
                "next_steps": self.next_steps,
            }
        )
        self.review_id._complete(day)
        if self.outcome == "lost" and self.churn_reason_id:
            # sudo: the churn reason is recorded by the module only (res.partner, cockpit)
            self.partner_id.commercial_partner_id.with_company(
                self.review_id.company_id
            ).sudo().retention_churn_reason_id = self.churn_reason_id
