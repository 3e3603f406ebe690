from dataclasses import fields as fields_of

from odoo import models
from odoo.tools import SQL

from ...engine.health import StageRules


class ResCompany(models.Model):
    _inherit = "res.company"

    def write(self, vals):
        """A change of the stage rules or of the history window changes the stored months
        (their stages, the health as of their ends, the months scored): every month of the
        company's snapshots is marked due for the daily snapshot job, which rebuilds them in
        committed batches."""
        watched = [f"retention_{rule.name}" for rule in fields_of(StageRules)]
        changed = self._retention_changing(vals, [*watched, "retention_history_months"])
        result = super().write(vals)
        if changed:
            self._retention_mark_history_due(changed)
        return result

    def _retention_mark_history_due(self, companies):
        Job = self.env["retention.snapshot.job"].sudo()
        for company in companies:
            self.env.cr.execute(
                SQL("SELECT MIN(month) FROM retention_snapshot WHERE company_id = %s", company.id)
            )
            first = self.env.cr.fetchone()[0]
            if first:
                Job._mark_months(company.id, first)
