from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """Feedback settings, kept on the company."""

    _inherit = "res.config.settings"

    retention_feedback_validity_days = fields.Integer(
        related="company_id.retention_feedback_validity_days", readonly=False
    )
    retention_feedback_kind = fields.Selection(
        related="company_id.retention_feedback_kind", readonly=False
    )
