from odoo import api, fields, models

from ..followups.retention_followup_rule import Trigger


def _phrase_detractor_resolved(rule, _):
    if not rule.days:
        return _("a detractor case is resolved")
    return _("a detractor case was resolved %(days)s days ago", days=rule.days)


DETRACTOR_RESOLVED = Trigger(
    "detractor_resolved",
    "N days after a detractor case is resolved",
    "retention.risk",
    days=True,
    min_days=0,
    phrase=_phrase_detractor_resolved,
)


class RetentionFollowupRule(models.Model):
    """What the cockpit adds to follow-up rules: the trigger that closes the detractor loop
    (issue #19), N days after a detractor case is closed as recovered, e.g. to ask the customer
    again (the shipped rule "Ask again after a detractor case", action *Request feedback*)."""

    _inherit = "retention.followup.rule"

    trigger = fields.Selection(
        selection_add=[(DETRACTOR_RESOLVED.key, DETRACTOR_RESOLVED.label)],
        ondelete={DETRACTOR_RESOLVED.key: "cascade"},
    )

    @api.model
    def _trigger_table(self):
        return {**super()._trigger_table(), DETRACTOR_RESOLVED.key: DETRACTOR_RESOLVED}

    def _events_detractor_resolved(self, today):
        """Key 'resolved': once per case, N days after it was closed as recovered (a case
        reopened and closed again is not asked about twice). Cases closed as lost are left
        out: the customer left."""
        return self._query(
            """
            SELECT r.id, r.partner_id, 'resolved', r.date_closed::date + %(days)s
              FROM retention_risk r
             WHERE r.kind = 'detractor' AND r.state = 'recovered'
               AND r.company_id = %(company)s AND r.date_closed IS NOT NULL
               AND r.date_closed::date + %(days)s BETWEEN %(start)s AND %(today)s
            """,
            days=self.days,
            company=self.company_id.id,
            start=self._events_from(),
            today=today,
        )
