from odoo import fields, models

from ..profile.res_config_settings import company_setting


class ResConfigSettings(models.TransientModel):
    """Account review settings, kept on the company."""

    _inherit = "res.config.settings"

    retention_review_cadence_default = company_setting(
        fields.Selection, "retention_review_cadence_default"
    )
    retention_review_cadence_at_risk = company_setting(
        fields.Selection, "retention_review_cadence_at_risk"
    )
    retention_review_cadence_new = company_setting(fields.Selection, "retention_review_cadence_new")
    retention_review_lead_days = company_setting(fields.Integer, "retention_review_lead_days")
    retention_review_reviewer_id = company_setting(fields.Many2one, "retention_review_reviewer_id")
