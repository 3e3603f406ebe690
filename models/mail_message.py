from odoo import models
from odoo.tools import create_index

#: Index of the refresh job's scan for new messages (EXPLAIN before/after in bench/README.md).
RETENTION_MESSAGE_INDEX = "mail_message_retention_create_date_idx"


class MailMessage(models.Model):
    _inherit = "mail.message"

    def init(self):
        super().init()
        # the refresh job looks for the messages posted since its last run; create_date only
        # grows, so the index stays small to maintain
        create_index(self.env.cr, RETENTION_MESSAGE_INDEX, self._table, ["create_date"])
