from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ...engine.feedback import RATING
from .res_partner import INTERNAL_GROUPS
from .retention_profile_builder import satisfaction_sql

#: Stored figures of the module on projects, written by their computation only.
PROJECT_MODULE_FIELDS = frozenset(["retention_is_closed", "retention_date_closed"])


class ProjectProject(models.Model):
    _name = "project.project"
    _inherit = ["project.project", "retention.related.count.mixin"]

    retention_is_closed = fields.Boolean(
        string="Closed",
        compute="_compute_retention_is_closed",
        store=True,
        help="In a folded stage, archived, or its latest status update says Done.",
        groups=INTERNAL_GROUPS,
    )
    retention_date_closed = fields.Date(
        string="Date Closed",
        compute="_compute_retention_date_closed",
        store=True,
        help="The day the project was closed; empty while it is open.",
        groups=INTERNAL_GROUPS,
    )
    retention_renewal_date = fields.Date(
        string="Renewal Date",
        tracking=True,
        help="When the engagement or contract behind this project comes up for renewal.",
        groups=INTERNAL_GROUPS,
    )
    retention_days_since_update = fields.Integer(
        string="Days Since Status Update",
        compute="_compute_retention_days_since_update",
        help="Days since the latest project status update; -1 when it never had one.",
        groups=INTERNAL_GROUPS,
    )
    retention_satisfaction = fields.Integer(
        string="Customer Satisfaction",
        compute="_compute_retention_satisfaction",
        help="Latest rating given by the customer on this project's tasks, from 0 to 100; "
        "-1 when the customer never rated.",
        groups=INTERNAL_GROUPS,
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._retention_check_module_fields({k for k, v in vals.items() if v})
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._retention_check_module_fields(set(vals))
        return super().write(vals)

    @api.model
    def _retention_check_module_fields(self, names):
        """Closed and the closing day follow the project's stage, status and archiving: they
        count in the customer's figures and start follow-ups, so nobody sets them by hand."""
        refused = PROJECT_MODULE_FIELDS & names
        if refused:
            labels = sorted(self._fields[name]._description_string(self.env) for name in refused)
            raise AccessError(
                self.env._(
                    "%(fields)s: computed from the project's stage, last status and archiving, "
                    "and cannot be set by hand.",
                    fields=", ".join(labels),
                )
            )

    @api.depends("stage_id.fold", "active", "last_update_status")
    def _compute_retention_is_closed(self):
        for project in self:
            project.retention_is_closed = bool(
                project.stage_id.fold or not project.active or project.last_update_status == "done"
            )

    @api.depends("retention_is_closed")
    def _compute_retention_date_closed(self):
        """Keep the first closing day across recomputations: read what is stored."""
        stored = {}
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id, retention_date_closed FROM project_project WHERE id = ANY(%s)",
                    list(self._origin.ids),
                )
            )
            stored = dict(self.env.cr.fetchall())
        today = fields.Date.context_today(self)
        for project in self:
            if project.retention_is_closed:
                project.retention_date_closed = stored.get(project._origin.id) or today
            else:
                project.retention_date_closed = False

    @api.depends("last_update_id.date")
    @api.depends_context("tz")
    def _compute_retention_days_since_update(self):
        today = fields.Date.context_today(self)
        for project in self:
            update_date = project.last_update_id.date
            project.retention_days_since_update = (today - update_date).days if update_date else -1

    def _compute_retention_satisfaction(self):
        scores = {}
        if self.ids:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT DISTINCT ON (t.project_id) t.project_id, %(score)s
                      FROM rating_rating
                      JOIN project_task t ON rating_rating.res_model = 'project.task'
                                         AND t.id = rating_rating.res_id
                     WHERE rating_rating.consumed AND rating_rating.rating >= 1
                       AND t.project_id = ANY(%(projects)s)
                     ORDER BY t.project_id, rating_rating.write_date DESC
                    """,
                    score=satisfaction_sql(RATING, SQL("rating_rating.rating")),
                    projects=list(self._origin.ids),
                )
            )
            scores = dict(self.env.cr.fetchall())
        for project in self:
            project.retention_satisfaction = scores.get(project._origin.id, -1)
