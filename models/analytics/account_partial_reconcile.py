from odoo import models
from odoo.tools import create_index

#: The reconciliations dated after a day, for the overdue of a past month end: on the first
#: day of a month, the month just closed is scored as of its end, and only the invoices paid
#: since then were still owed on it (see retention.profile.builder._invoice_facts_as_of).
RECONCILE_DATE_INDEX = "account_partial_reconcile_retention_max_date_idx"


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def init(self):
        super().init()
        create_index(self.env.cr, RECONCILE_DATE_INDEX, self._table, ["max_date"])
