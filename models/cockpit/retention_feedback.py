from odoo import fields, models


class RetentionFeedback(models.Model):
    """The detractor loop: a detractor answer opens a case the account manager closes with a
    resolution note (the alert activity stays, on the customer)."""

    _inherit = "retention.feedback"

    origin = fields.Selection(
        selection_add=[("detractor_case", "Detractor Case")],
        ondelete={"detractor_case": "set default"},
    )
    risk_id = fields.Many2one(
        "retention.risk", string="Detractor Case", readonly=True, copy=False, index="btree_not_null"
    )

    def _raise_detractor_alert(self):
        first = not self.alerted
        result = super()._raise_detractor_alert()
        if first and not self.risk_id:
            company = self.company_id
            today = fields.Date.context_today(self)
            case = self.env["retention.risk"]._open_for(
                self.partner_id.commercial_partner_id,
                company,
                user=self._alert_assignee(),
                kind="detractor",
                feedback_id=self.id,
                date_next=company._retention_add_working_days(
                    today, company.retention_detractor_due_days
                ),
            )
            # sudo: the case is the module's, whoever answered
            self.sudo().write({"risk_id": case.id})
        return result
