from odoo import models

from ..retention_related_count_mixin import related_count


class ProjectProject(models.Model):
    """What follow-up automation adds to a project: its follow-up logs."""

    _inherit = "project.project"

    retention_followup_count = related_count(
        "Follow-ups",
        "retention.followup.log",
        "res_id",
        "customer_retention.retention_followup_log_action",
        extra_domain=[("res_model", "=", "project.project")],
    )

    def action_retention_view_followups(self):
        """The follow-ups fired on this project."""
        return self._retention_open_related("retention_followup_count")
