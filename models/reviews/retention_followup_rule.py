from odoo import api, fields, models

from ..followups.retention_followup_rule import Trigger

#: The outcomes a follow-up rule can wait for.
RULE_OUTCOMES = [("renew", "Renew"), ("expand", "Expand"), ("at_risk", "At Risk")]

REVIEW_OUTCOME = Trigger(
    "review_outcome",
    "An account review is completed with an outcome",
    "retention.review",
    option="review_outcome",
    phrase=lambda rule, _: _(
        "an account review ends with the outcome %(outcome)s",
        outcome=rule._selection_labels("review_outcome", rule.review_outcome),
    ),
)


class RetentionFollowupRule(models.Model):
    """What account reviews add to follow-up rules: the review-outcome trigger (the reviews
    start its rules as soon as they are completed, see retention.review._apply_outcomes)."""

    _inherit = "retention.followup.rule"

    trigger = fields.Selection(
        selection_add=[(REVIEW_OUTCOME.key, REVIEW_OUTCOME.label)],
        ondelete={REVIEW_OUTCOME.key: "cascade"},
    )
    review_outcome = fields.Selection(RULE_OUTCOMES, default="renew")

    @api.model
    def _trigger_table(self):
        return {**super()._trigger_table(), REVIEW_OUTCOME.key: REVIEW_OUTCOME}

    def _events_review_outcome(self, today):
        """Key: the outcome of the completed review."""
        return self._query(
            """
            SELECT r.id, r.partner_id, 'outcome-' || r.outcome, r.date_done
              FROM retention_review r
             WHERE r.state = 'done' AND r.outcome = %(outcome)s
               AND r.company_id = %(company)s
               AND r.date_done BETWEEN %(start)s AND %(today)s
            """,
            outcome=self.review_outcome,
            company=self.company_id.id,
            start=self._events_from(),
            today=today,
        )
