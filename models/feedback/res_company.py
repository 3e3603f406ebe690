from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..field_kinds import setting


class ResCompany(models.Model):
    """Feedback settings of a company."""

    _inherit = "res.company"

    retention_feedback_validity_days = setting(
        fields.Integer,
        "Feedback link valid for (days)",
        30,
        "A feedback request can be answered, and the answer changed, for this many days "
        "after it is sent; then its link expires.",
    )
    retention_feedback_kind = fields.Selection(
        [("nps", "NPS (0-10)"), ("csat", "CSAT (1-5)")],
        string="Default feedback question",
        default="nps",
        required=True,
        help="NPS asks how likely the customer is to recommend you (0-10); CSAT how satisfied "
        "they are (1-5).",
    )

    @api.constrains("retention_feedback_validity_days")
    def _check_retention_feedback_validity_days(self):
        for company in self:
            if not 1 <= company.retention_feedback_validity_days <= 365:
                raise ValidationError(
                    self.env._(
                        "A feedback link must stay valid between 1 and 365 days, not %(days)s.",
                        days=company.retention_feedback_validity_days,
                    )
                )
