from odoo import api, models
from odoo.exceptions import UserError

from ..retention_related_count_mixin import related_count


class ResPartner(models.Model):
    """What feedback adds to a customer: its requests and answers, and asking for one."""

    _inherit = "res.partner"

    retention_feedback_count = related_count(
        "Feedback",
        "retention.feedback",
        "partner_id",
        "customer_retention.retention_feedback_action",
    )

    def action_retention_view_feedback(self):
        return self._retention_open_related("retention_feedback_count")

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

    def _retention_hand_over_records(self):
        records = super()._retention_hand_over_records()
        # sudo: the customer's requests, whatever the writer may read (see the caller)
        records["retention.feedback"] = set(
            self.env["retention.feedback"].sudo().search([("partner_id", "=", self.id)]).ids
        )
        return records

    def action_retention_open_feedback_request(self):
        """The *Request feedback* dialog: pick the contact and the question, then send."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_retention.retention_feedback_request_action"
        )
        action["context"] = {"active_id": self.id, "active_model": "res.partner"}
        return action
