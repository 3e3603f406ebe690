from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.feedback.retention_feedback import KINDS


class RetentionFeedbackRequest(models.TransientModel):
    """The *Request feedback* dialog of a customer (issue #17): who to ask (default: the
    contact who answered last, else the contact the module would email) and which question,
    then send."""

    _name = "retention.feedback.request"
    _description = "Request Customer Feedback"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade"
    )
    contact_id = fields.Many2one(
        "res.partner",
        required=True,
        ondelete="cascade",
        domain="[('commercial_partner_id', '=', partner_id), ('email', '!=', False)]",
        help="Who receives the email with the question: the customer or one of its contacts "
        "with an email address. By default the contact who answered last.",
    )
    kind = fields.Selection(KINDS, string="Question", required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        partner = self.env["res.partner"].browse(
            values.get("partner_id") or self.env.context.get("active_id")
        )
        if not partner:
            return values
        partner.check_access("read")
        customer = partner.commercial_partner_id
        values["partner_id"] = customer.id
        if "contact_id" in fields_list and not values.get("contact_id"):
            values["contact_id"] = self._default_contact(partner).id
        if "kind" in fields_list and not values.get("kind"):
            values["kind"] = self.env.company.retention_feedback_kind or KINDS[0][0]
        return values

    @api.model
    def _default_contact(self, partner):
        """The contact of the customer who answered last (still with an email), else the
        contact itself when it has an email, else the one the module would ask."""
        customer = partner.commercial_partner_id
        # sudo: the customer's answers are looked up whatever the user may read (the caller
        # may read the customer); only the contact is returned
        answers = (
            self.env["retention.feedback"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", customer.id),
                    ("state", "=", "answered"),
                    ("contact_id", "!=", False),
                ],
                order="date_answered desc, id desc",
                limit=10,
            )
        )
        last = answers.contact_id.filtered(lambda c: c.email and c.active)[:1]
        if answers and last:
            last = next(a.contact_id for a in answers if a.contact_id in last)
            return last.with_env(self.env)
        return self.env["retention.feedback"]._contact_for(partner).with_env(self.env)

    def action_send(self):
        """Email the request to the chosen contact, with the chosen question."""
        self.ensure_one()
        contact = self.contact_id
        if contact.commercial_partner_id != self.partner_id or not contact.email:
            raise UserError(
                self.env._(
                    "Choose a contact of %(customer)s that has an email address.",
                    customer=self.partner_id.display_name,
                )
            )
        Feedback = self.env["retention.feedback"]
        feedback = Feedback._request(contact, kind=self.kind, origin="manual")
        return Feedback._notify_requested(feedback)
