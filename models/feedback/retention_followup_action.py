from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..followups.retention_followup_action import RESULT_MESSAGES, _lt, result_entry
from .retention_feedback import KINDS

RESULT_MESSAGES["feedback"] = _lt("Feedback request (%(kind)s) sent to %(contact)s")

#: Records a feedback request can be made from, and the origin it gets.
FEEDBACK_ORIGINS = {
    "project.project": "project",
    "retention.review": "review",
    "res.partner": "manual",
}


class RetentionFollowupAction(models.Model):
    """What feedback adds to follow-up rules: an action that requests feedback."""

    _inherit = "retention.followup.action"

    action_type = fields.Selection(
        selection_add=[("feedback", "Request feedback")], ondelete={"feedback": "cascade"}
    )
    feedback_kind = fields.Selection(
        KINDS,
        string="Question",
        help="The question of the feedback request. Empty: the company's default (Settings).",
    )

    @api.model
    def _summary_fields(self):
        return [*super()._summary_fields(), "feedback_kind"]

    def _summary_phrase(self):
        if self.action_type != "feedback":
            return super()._summary_phrase()
        _ = self.env._
        return _(
            "email the customer a %(question)s feedback request",
            question=dict(self._fields["feedback_kind"]._description_selection(self.env)).get(
                self.feedback_kind, _("default")
            ),
        )

    def _check_fits_model(self, model, model_name):
        if self.action_type == "feedback" and model not in FEEDBACK_ORIGINS:
            raise ValidationError(
                self.env._(
                    "Feedback can be requested on customers, projects and account reviews: "
                    "the rule %(rule)s acts on %(model)s.",
                    rule=self.rule_id.name,
                    model=model_name,
                )
            )
        return super()._check_fits_model(model, model_name)

    def _execute(self, record, customer, today):
        if self.action_type == "feedback":
            return self._execute_feedback(record, customer)
        return super()._execute(record, customer, today)

    def _feedback_recipient(self, record, customer):
        """Hook: who is asked for feedback about ``record``: the customer itself, else the
        record's customer contact, else the customer (the emailable contact is looked up)."""
        return record if record._name == "res.partner" else record.partner_id or customer

    def _execute_feedback(self, record, customer):
        """A feedback request to the project's or review's customer contact (or the
        customer's), emailed at once."""
        origin = FEEDBACK_ORIGINS.get(record._name)
        if not origin:
            raise UserError(self.env._("Feedback cannot be requested from this kind of record."))
        partner = self._feedback_recipient(record, customer)
        feedback = self.env["retention.feedback"]._request(
            partner,
            kind=self.feedback_kind,
            origin=origin,
            project=record if origin == "project" else None,
            review=record if origin == "review" else None,
            company=self.rule_id.company_id,
        )
        return result_entry(
            "feedback",
            kind=(feedback.kind or "").upper(),
            contact=feedback.contact_id.display_name,
        )
