from odoo import api, models
from odoo.tools import SQL

from ..profile.retention_profile_builder import satisfaction_sql


class RetentionProfileBuilder(models.AbstractModel):
    """What feedback adds to the retention profile: answers count in the satisfaction factor,
    and an answer queues its customer for a refresh."""

    _inherit = "retention.profile.builder"

    @api.model
    def _satisfaction_sources(self, partner_ids):
        """Answered requests, on the engine's scale of their kind."""
        return [
            *super()._satisfaction_sources(partner_ids),
            SQL(
                """
                SELECT f.partner_id, %(score)s, f.date_answered
                  FROM retention_feedback f
                 WHERE f.state = 'answered' AND f.date_answered IS NOT NULL
                   AND f.partner_id = ANY(%(partners)s)
                """,
                score=satisfaction_sql(SQL("f.kind"), SQL("f.score")),
                partners=partner_ids,
            ),
        ]

    @api.model
    def _changed_customer_sources(self, since):
        return [
            *super()._changed_customer_sources(since),
            SQL("SELECT partner_id FROM retention_feedback WHERE write_date >= %s", since),
        ]
