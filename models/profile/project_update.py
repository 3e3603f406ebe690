from odoo import models
from odoo.tools import create_index

#: The index of the health as of a past day (retention.profile.builder._project_facts): each
#: project's latest status update dated by then. Odoo does not index project_update.project_id:
#: without it, every batch of 2,000 customers scanned all status updates once per project
#: (5 s a batch at 100,000 customers, issue #18). Named so that the uninstall hook drops it.
RETENTION_UPDATE_INDEX = "project_update_retention_project_date_idx"


class ProjectUpdate(models.Model):
    _inherit = "project.update"

    def init(self):
        super().init()
        create_index(self.env.cr, RETENTION_UPDATE_INDEX, self._table, ["project_id", "date"])
