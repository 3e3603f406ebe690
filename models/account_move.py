from odoo import fields, models
from odoo.tools import create_index

from .res_partner import INTERNAL_GROUPS

#: Indexes of the retention queries (EXPLAIN before/after in bench/README.md), named so that
#: the uninstall hook can drop them.
RETENTION_MOVE_INDEXES = {
    # the builder reads a batch of customers' invoices (facts, win-backs, flags, contacts on
    # invoices): without it, every batch scans all customer invoices
    "account_move_retention_customer_idx": (
        ["commercial_partner_id", "company_id"],
        "move_type IN ('out_invoice', 'out_refund')",
    ),
    # the refresh job looks for the invoices written since its last run
    "account_move_retention_write_date_idx": (
        ["write_date"],
        "move_type IN ('out_invoice', 'out_refund')",
    ),
}


class AccountMove(models.Model):
    _inherit = "account.move"

    def init(self):
        super().init()
        for name, (expressions, where) in RETENTION_MOVE_INDEXES.items():
            create_index(self.env.cr, name, self._table, expressions, where=where)

    # The refresh job finds changed invoices by write_date; these hooks only make it run
    # sooner after the events users expect to see at once.
    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._retention_trigger_refresh()
        posted._retention_mark_snapshots()
        return posted

    def button_cancel(self):
        was_posted = self.filtered(lambda move: move.state == "posted")
        result = super().button_cancel()
        self._retention_trigger_refresh()
        was_posted._retention_mark_snapshots()
        return result

    def button_draft(self):
        was_posted = self.filtered(lambda move: move.state == "posted")
        result = super().button_draft()
        was_posted._retention_mark_snapshots()
        return result

    def _retention_mark_snapshots(self):
        """The monthly snapshots of these invoices' months (and later) are due for a rebuild."""
        if self.env["retention.snapshot.job"].sudo()._mark_moves(self):
            cron = self.env.ref(
                "customer_retention.ir_cron_retention_snapshots", raise_if_not_found=False
            )
            if cron:
                cron.sudo()._trigger()

    def _retention_trigger_refresh(self):
        if any(move.move_type in ("out_invoice", "out_refund") for move in self):
            cron = self.env.ref(
                "customer_retention.ir_cron_retention_refresh_changed", raise_if_not_found=False
            )
            if cron:
                # sudo: whoever posts an invoice may wake the refresh job, not edit it
                cron.sudo()._trigger()

    # Set in bulk by retention.profile.builder when the customer's figures are refreshed.
    retention_is_first_invoice = fields.Boolean(
        string="First Invoice",
        readonly=True,
        copy=False,
        help="The customer's first posted invoice in this company: the start of onboarding.",
        groups=INTERNAL_GROUPS,
    )
    retention_is_repeat = fields.Boolean(
        string="Repeat Business",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Posted invoice of a customer who had an earlier invoice in this company.",
        groups=INTERNAL_GROUPS,
    )
