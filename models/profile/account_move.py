from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

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

    # Computed when read rather than stored: storing them meant rewriting every customer
    # invoice row (and its ~25 indexes) on the first refresh, minutes at a million invoices.
    retention_is_first_invoice = fields.Boolean(
        string="First Invoice",
        compute="_compute_retention_invoice_flags",
        search="_search_retention_is_first_invoice",
        help="The customer's first posted invoice in this company: the start of onboarding.",
        groups=INTERNAL_GROUPS,
    )
    retention_is_repeat = fields.Boolean(
        string="Repeat Business",
        compute="_compute_retention_invoice_flags",
        search="_search_retention_is_repeat",
        help="Posted invoice of a customer who had an earlier invoice in this company.",
        groups=INTERNAL_GROUPS,
    )

    @api.model
    def _retention_ranked_invoices(self, rank_condition, partner_ids=None):
        """Ids of posted customer invoices by their rank among the customer's invoices in the
        company (oldest first): ``rank_condition`` is ``= 1`` for first invoices, ``> 1`` for
        repeat ones."""
        restrict = (
            SQL("AND commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        return SQL(
            """
            (SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY company_id, commercial_partner_id
                                              ORDER BY invoice_date, id) AS rank
                  FROM account_move
                 WHERE state = 'posted' AND move_type = 'out_invoice' %s
            ) ranked WHERE rank %s)
            """,
            restrict,
            rank_condition,
        )

    @api.depends("state", "move_type", "invoice_date", "commercial_partner_id", "company_id")
    def _compute_retention_invoice_flags(self):
        posted = self.filtered(
            lambda move: move.id and move.state == "posted" and move.move_type == "out_invoice"
        )
        firsts = set()
        if posted:
            self.flush_model(["state", "move_type", "invoice_date", "commercial_partner_id"])
            self.env.cr.execute(
                self._retention_ranked_invoices(
                    SQL("= 1"), partner_ids=posted.commercial_partner_id.ids
                )
            )
            firsts = {row[0] for row in self.env.cr.fetchall()}
        for move in self:
            move.retention_is_first_invoice = move in posted and move.id in firsts
            move.retention_is_repeat = move in posted and move.id not in firsts

    def _retention_flag_domain(self, operator, value, rank_condition, other_rank_condition):
        """Posted customer invoices of the rank asked for; the negation is written with the
        other rank so that both stay semi-joins (no NOT IN over a million ids)."""
        if operator not in ("=", "!="):
            raise UserError(self.env._("Search on this invoice flag with = or != only."))
        if (operator == "=") == bool(value):
            return [
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice"),
                ("id", "in", self._retention_ranked_invoices(rank_condition)),
            ]
        return [
            "|",
            "|",
            ("state", "!=", "posted"),
            ("move_type", "!=", "out_invoice"),
            ("id", "in", self._retention_ranked_invoices(other_rank_condition)),
        ]

    def _search_retention_is_first_invoice(self, operator, value):
        return self._retention_flag_domain(operator, value, SQL("= 1"), SQL("> 1"))

    def _search_retention_is_repeat(self, operator, value):
        return self._retention_flag_domain(operator, value, SQL("> 1"), SQL("= 1"))
