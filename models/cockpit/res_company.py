from datetime import timedelta

from odoo import api, fields, models

from ..field_kinds import setting


class ResCompany(models.Model):
    _inherit = "res.company"

    retention_detractor_due_days = setting(
        fields.Integer,
        "Detractor Case Due In (working days)",
        2,
        "Working days (Monday to Friday) the account manager has to get back to a "
        "detractor: the next step date of the case a detractor answer opens.",
    )

    _sql_constraints = [
        (
            "retention_detractor_due_days_positive",
            "CHECK (retention_detractor_due_days >= 0)",
            "The days to get back to a detractor cannot be negative.",
        ),
    ]

    @api.model
    def _retention_add_working_days(self, day, days):
        """``day`` plus ``days`` working days, Saturdays and Sundays skipped."""
        while days > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                days -= 1
        return day
