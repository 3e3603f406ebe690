from odoo import fields, models


class ProjectProject(models.Model):
    """What follow-up automation adds to a project: its follow-up logs."""

    _inherit = "project.project"

    retention_followup_count = fields.Integer(
        string="Follow-ups",
        compute="_compute_retention_followup_count",
        groups="customer_retention.group_retention_user",
    )

    def _compute_retention_followup_count(self):
        counts = dict(
            self.env["retention.followup.log"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self._origin.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for project in self:
            project.retention_followup_count = counts.get(project._origin.id, 0)

    def action_retention_view_followups(self):
        """The follow-ups fired on this project."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_retention.retention_followup_log_action"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {}
        return action
