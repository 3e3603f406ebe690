from odoo import fields, models
from odoo.exceptions import UserError


class ProjectProject(models.Model):
    """What feedback adds to a project: its requests and asking for one."""

    _inherit = "project.project"

    retention_feedback_count = fields.Integer(
        string="Feedback",
        compute="_compute_retention_feedback_count",
        groups="customer_retention.group_retention_user",
    )

    def _compute_retention_feedback_count(self):
        counts = dict(
            self.env["retention.feedback"]._read_group(
                [("project_id", "in", self._origin.ids)], ["project_id"], ["__count"]
            )
        )
        for project in self:
            project.retention_feedback_count = counts.get(project._origin, 0)

    def action_retention_view_feedback(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_retention.retention_feedback_action"
        )
        action["domain"] = [("project_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_retention_request_feedback(self):
        """Email the project's customer a feedback request about this project."""
        self.ensure_one()
        if not self.partner_id:
            raise UserError(
                self.env._("Set the customer of the project %(project)s first.", project=self.name)
            )
        Feedback = self.env["retention.feedback"]
        feedback = Feedback._request(
            self.partner_id,
            origin="project",
            project=self,
            company=self.company_id or self.env.company,
        )
        return Feedback._notify_requested(feedback)
