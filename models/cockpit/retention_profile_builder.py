from odoo import api, models


class RetentionProfileBuilder(models.AbstractModel):
    """What the cockpit adds to the builder: risk cases follow the stages it computes."""

    _inherit = "retention.profile.builder"

    @api.model
    def _compute_partners(self, partner_ids, companies=None):
        result = super()._compute_partners(partner_ids, companies=companies)
        # sudo: figures are kept for every company, whichever user triggered the refresh
        companies = companies or self.env["res.company"].sudo().search([])
        self.env["retention.risk"]._sync_with_stages(partner_ids, companies)
        return result
