from odoo import fields, models

from ..profile.res_config_settings import company_setting


class ResConfigSettings(models.TransientModel):
    """Feedback settings, kept on the company."""

    _inherit = "res.config.settings"

    retention_feedback_validity_days = company_setting(
        fields.Integer, "retention_feedback_validity_days"
    )
    retention_feedback_kind = company_setting(fields.Selection, "retention_feedback_kind")
