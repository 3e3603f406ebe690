from odoo import models
from odoo.exceptions import UserError

from ..retention_related_count_mixin import related_count


class ProjectProject(models.Model):
    """What feedback adds to a project: its requests and asking for one."""

    _inherit = "project.project"

    retention_feedback_count = related_count(
        "Feedback",
        "retention.feedback",
        "project_id",
        "customer_retention.retention_feedback_action",
    )

    def action_retention_view_feedback(self):
        return self._retention_open_related("retention_feedback_count")

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
