from odoo import fields, models

from ..profile.res_partner import INTERNAL_GROUPS
from ..retention_related_count_mixin import related_count


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
    retention_followup_count = related_count(
        "Follow-ups",
        "retention.followup.log",
        "partner_id",
        "customer_retention.retention_followup_log_action",
    )

    def action_retention_view_followups(self):
        """The follow-ups fired for this customer and its projects, invoices and reviews."""
        return self._retention_open_related("retention_followup_count")

    def _retention_hand_over_records(self):
        """The records follow-up rules fired on for this customer (projects, invoices...)."""
        records = super()._retention_hand_over_records()
        logs = self.env["retention.followup.log"].sudo().search([("partner_id", "=", self.id)])
        for log in logs:
            records.setdefault(log.res_model, set()).add(log.res_id)
        return records
