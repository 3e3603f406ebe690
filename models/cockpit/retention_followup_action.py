from odoo import fields, models
from odoo.exceptions import ValidationError

from ..feedback.retention_followup_action import FEEDBACK_ORIGINS

# a detractor case (trigger "N days after a detractor case is resolved"): ask again
FEEDBACK_ORIGINS["retention.risk"] = "detractor_case"


class RetentionFollowupAction(models.Model):
    """What the cockpit adds to follow-up rules: an action that opens a risk case, and the
    feedback request after a detractor case (to the contact who answered)."""

    _inherit = "retention.followup.action"

    action_type = fields.Selection(
        selection_add=[("risk", "Open a risk case")], ondelete={"risk": "cascade"}
    )

    def _summary_phrase(self):
        if self.action_type != "risk":
            return super()._summary_phrase()
        return self.env._("open a risk case for the account manager")

    def _check_fits_model(self, model, model_name):
        if self.action_type == "risk" and model != "res.partner":
            raise ValidationError(
                self.env._(
                    "Risk cases are opened for customers: the rule %(rule)s acts on %(model)s.",
                    rule=self.rule_id.name,
                    model=model_name,
                )
            )
        return super()._check_fits_model(model, model_name)

    def _feedback_recipient(self, record, customer):
        if record._name == "retention.risk":
            # the contact who answered as a detractor (unless deleted since), else the customer
            return record.feedback_id.contact_id or record.partner_id or customer
        return super()._feedback_recipient(record, customer)

    def _execute(self, record, customer, today):
        if self.action_type != "risk":
            return super()._execute(record, customer, today)
        company = self.rule_id.company_id
        case = self.env["retention.risk"]._open_for(
            customer.commercial_partner_id, company, date_next=today
        )
        return self.env._(
            "Risk case %(id)s for %(user)s", id=case.id, user=case.user_id.name or "-"
        )
