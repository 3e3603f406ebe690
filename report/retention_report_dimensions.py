from odoo import fields, models

from ..models.field_kinds import column


class RetentionReportDimensions(models.AbstractModel):
    """The customer dimensions every retention report groups and filters by (company, customer,
    account manager, country, industry, tags): the report's SQL selects a column of each name."""

    _name = "retention.report.dimensions"
    _description = "Customer dimensions of the retention reports"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = column(fields.Many2one, "Customer", comodel_name="res.partner")
    account_manager_id = fields.Many2one("res.users", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", readonly=True)
    category_ids = column(fields.Many2many, "Tags", related="partner_id.category_id")
