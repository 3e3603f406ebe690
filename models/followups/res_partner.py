from odoo import api, fields, models
from odoo.osv import expression

from ..profile.res_partner import INTERNAL_GROUPS
from ..retention_related_count_mixin import related_count

#: Customers as follow-up rules see them: commercial partners (companies and people without a
#: company) with a customer rank or retention figures.
CUSTOMER_DOMAIN = [
    "|",
    ("is_company", "=", True),
    ("parent_id", "=", False),
    "|",
    ("customer_rank", ">", 0),
    ("retention_stage", "!=", False),
]


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

    @api.model
    def search_count(self, domain, limit=None):
        """With the context key ``retention_count_customers`` (the customer filter of a
        follow-up rule), count customers only, as the rule follows them up: commercial
        partners that are customers, not their contacts (issue #17)."""
        if self.env.context.get("retention_count_customers"):
            domain = expression.AND([domain or [], CUSTOMER_DOMAIN])
        return super().search_count(domain, limit=limit)
