from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ...engine.reviews import CADENCES, effective_cadence
from ..field_kinds import setting

#: Longest time ahead a review is planned, in days.
MAX_LEAD_DAYS = 365


class ResCompany(models.Model):
    """Account review settings of a company."""

    _inherit = "res.company"

    retention_review_cadence_default = fields.Selection(
        CADENCES,
        string="Default review cadence",
        default="quarterly",
        required=True,
        help="How often a customer's account is reviewed when neither the customer nor its "
        "retention stage sets a cadence.",
    )
    retention_review_cadence_at_risk = fields.Selection(
        CADENCES,
        string="Review cadence of at-risk customers",
        default="monthly",
        help="Customers at risk are reviewed on this rhythm unless they have their own cadence. "
        "Empty: the default cadence.",
    )
    retention_review_cadence_new = fields.Selection(
        CADENCES,
        string="Review cadence of new customers",
        help="Customers still in their onboarding period are reviewed on this rhythm unless "
        "they have their own cadence. Empty: the default cadence.",
    )
    retention_review_lead_days = setting(
        fields.Integer,
        "Plan reviews ahead (days)",
        7,
        "A review is planned, and its reviewer told, this many days before it is due.",
    )
    retention_review_reviewer_id = fields.Many2one(
        "res.users",
        string="Fallback reviewer",
        domain="[('share', '=', False)]",
        help="Reviews the customers that have neither an account manager nor a salesperson.",
    )

    def _retention_review_cadence(self, own, stage):
        """The cadence that applies to a customer of this company with this own cadence and
        retention stage."""
        self.ensure_one()
        return effective_cadence(
            own,
            stage,
            self.retention_review_cadence_default,
            {
                "at_risk": self.retention_review_cadence_at_risk,
                "new": self.retention_review_cadence_new,
            },
        )

    def _retention_fallback_responsible(self):
        """The fallback reviewer looks after the customers nobody else may look after."""
        return self.retention_review_reviewer_id or super()._retention_fallback_responsible()

    def _retention_review_lock_date(self):
        """The last day of the closed accounting period: no review is planned on or before it."""
        self.ensure_one()
        dates = [self.fiscalyear_lock_date, self.sale_lock_date, self.hard_lock_date]
        return max((day for day in dates if day), default=None)

    @api.constrains("retention_review_lead_days")
    def _check_retention_review_lead_days(self):
        for company in self:
            if not 0 <= company.retention_review_lead_days <= MAX_LEAD_DAYS:
                raise ValidationError(
                    self.env._(
                        "Reviews are planned between 0 and %(max)s days ahead of their due "
                        "date, not %(days)s.",
                        max=MAX_LEAD_DAYS,
                        days=company.retention_review_lead_days,
                    )
                )

    @api.constrains("retention_review_reviewer_id")
    def _check_retention_review_reviewer_id(self):
        for company in self:
            if company.retention_review_reviewer_id.share:
                raise ValidationError(
                    self.env._(
                        "The fallback reviewer must be an internal user, not %(user)s.",
                        user=company.retention_review_reviewer_id.name,
                    )
                )
