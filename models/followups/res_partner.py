from odoo import fields, models

from ..profile.res_partner import INTERNAL_GROUPS


class ResPartner(models.Model):
    """What follow-up automation adds to a customer: its renewal date and follow-up logs."""

    _inherit = "res.partner"

    retention_renewal_date = fields.Date(
        string="Renewal Date",
        tracking=True,
        copy=False,
        help="When the customer's contract or engagement comes up for renewal; follow-up rules "
        "can start renewal steps some days before.",
        groups=INTERNAL_GROUPS,
    )
    retention_followup_count = fields.Integer(
        string="Follow-ups",
        compute="_compute_retention_followup_count",
        groups="customer_retention.group_retention_user",
    )

    def _compute_retention_followup_count(self):
        counts = dict(
            self.env["retention.followup.log"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.retention_followup_count = counts.get(partner.commercial_partner_id._origin, 0)

    def action_retention_view_followups(self):
        """The follow-ups fired for this customer and its projects, invoices and reviews."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_retention.retention_followup_log_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action
