from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    """What feedback adds to a customer: its requests and answers, and asking for one."""

    _inherit = "res.partner"

    retention_feedback_count = fields.Integer(
        string="Feedback",
        compute="_compute_retention_feedback_count",
        groups="customer_retention.group_retention_user",
    )

    def _compute_retention_feedback_count(self):
        counts = dict(
            self.env["retention.feedback"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.retention_feedback_count = counts.get(partner.commercial_partner_id._origin, 0)

    def action_retention_view_feedback(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_retention.retention_feedback_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    @api.ondelete(at_uninstall=False)
    def _unlink_except_retention_feedback(self):
        """A customer's feedback answers are their history: the customer cannot be deleted
        (a deleted contact only leaves its answers to the customer)."""
        # sudo: whoever may delete contacts must be told, even without the Retention rights;
        # the message names only a partner being deleted, which the caller can read
        customer = (
            self.env["retention.feedback"]
            .sudo()
            .search([("partner_id", "in", self.ids)], limit=1)
            .partner_id
        )
        if customer:
            raise UserError(
                self.env._(
                    "%(customer)s has customer feedback requests and answers: archive it "
                    "instead of deleting it, so that its history is kept.",
                    customer=customer.with_env(self.env).display_name,
                )
            )

    def action_retention_request_feedback(self):
        """Email this contact (or the customer's first contact with an email) a feedback
        request with the company's default question."""
        self.ensure_one()
        Feedback = self.env["retention.feedback"]
        feedback = Feedback._request(self, origin="manual")
        return Feedback._notify_requested(feedback)
