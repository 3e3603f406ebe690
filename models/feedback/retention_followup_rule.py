from odoo import api, fields, models

from ..followups.retention_followup_rule import Trigger
from .retention_feedback import CATEGORIES

FEEDBACK_ANSWERED = Trigger(
    "feedback_answered",
    "A customer answers a feedback request",
    "retention.feedback",
    option="feedback_category",
    phrase=lambda rule, _: _(
        "a customer answers a feedback request as a %(category)s",
        category=rule._selection_labels("feedback_category", rule.feedback_category),
    ),
)


class RetentionFollowupRule(models.Model):
    """What feedback adds to follow-up rules: the trigger on answers."""

    _inherit = "retention.followup.rule"

    trigger = fields.Selection(
        selection_add=[(FEEDBACK_ANSWERED.key, FEEDBACK_ANSWERED.label)],
        ondelete={FEEDBACK_ANSWERED.key: "cascade"},
    )
    feedback_category = fields.Selection(
        CATEGORIES,
        string="Feedback Answer",
        default="detractor",
        help="The kind of answer the rule waits for. NPS: promoters 9-10, passives 7-8, "
        "detractors 0-6; CSAT: promoters 4-5, passives 3, detractors 1-2.",
    )

    @api.model
    def _trigger_table(self):
        return {**super()._trigger_table(), FEEDBACK_ANSWERED.key: FEEDBACK_ANSWERED}

    def _events_feedback_answered(self, today):
        """Key: the category of the answer, so each request fires once per rule, even when
        the customer changes the answer (a new category fires the rules waiting for it)."""
        return self._query(
            """
            SELECT f.id, f.partner_id, 'answered-' || f.category, f.date_answered::date
              FROM retention_feedback f
             WHERE f.state = 'answered' AND f.category = %(category)s
               AND f.company_id = %(company)s
               AND f.date_answered::date BETWEEN %(start)s AND %(today)s
            """,
            category=self.feedback_category,
            company=self.company_id.id,
            start=self._events_from(),
            today=today,
        )
