from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """Account review settings, kept on the company."""

    _inherit = "res.config.settings"

    retention_review_cadence_default = fields.Selection(
        related="company_id.retention_review_cadence_default", readonly=False
    )
    retention_review_cadence_at_risk = fields.Selection(
        related="company_id.retention_review_cadence_at_risk", readonly=False
    )
    retention_review_cadence_new = fields.Selection(
        related="company_id.retention_review_cadence_new", readonly=False
    )
    retention_review_lead_days = fields.Integer(
        related="company_id.retention_review_lead_days", readonly=False
    )
    retention_review_reviewer_id = fields.Many2one(
        related="company_id.retention_review_reviewer_id", readonly=False
    )
