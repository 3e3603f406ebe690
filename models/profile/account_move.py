from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

from .res_partner import INTERNAL_GROUPS

#: Indexes of the retention queries (EXPLAIN before/after in bench/README.md), named so that
#: the uninstall hook can drop them.
RETENTION_MOVE_INDEXES = {
    # the builder reads a batch of customers' invoices (facts, win-backs, flags, contacts on
    # invoices): without it, every batch scans all customer invoices. Receipts are in it for
    # the customer's form: Odoo's days_sales_outstanding reads every sale type of the customer
    # (a parallel scan of all moves, 0.27 s at 1,000,000 invoices, at each form's opening)
    "account_move_retention_sale_customer_idx": (
        ["commercial_partner_id", "company_id"],
        "move_type IN ('out_invoice', 'out_refund', 'out_receipt')",
    ),
    # the refresh job looks for the invoices written since its last run
    "account_move_retention_write_date_idx": (
        ["write_date"],
        "move_type IN ('out_invoice', 'out_refund')",
    ),
}
#: Indexes of earlier versions that one above replaces, dropped on upgrade.
RETIRED_MOVE_INDEXES = ["account_move_retention_customer_idx"]


class AccountMove(models.Model):
    _inherit = "account.move"

    def init(self):
        super().init()
        for name in RETIRED_MOVE_INDEXES:
            self.env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
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
    def _retention_customer_moves(self, companies=None, partners=None, before=None):
        """The customers' posted invoices and credit notes as every retention rule reads them:
        SQL of a subquery (alias it) with one row per move and the columns

        - ``id``, ``company_id``, ``partner_id`` (the commercial partner), ``move_type``
          (``out_invoice`` or ``out_refund``), ``invoice_date``, ``invoice_date_due``,
          ``payment_state``, ``amount`` (untaxed, signed, in the company's currency),
          ``residual`` (signed);
        - ``is_first_invoice``: the customer's first invoice in the company, i.e. its posted
          customer invoice (never a credit note) of the smallest (invoice date, id), per
          company and commercial partner: the start of onboarding (Customer Since), its
          cohort, the First Invoice flag and the "first invoice" follow-up trigger;
          ``first_invoice_date``, its date, on every row of the customer;
        - ``is_winback``: a customer invoice dated more than the company's churn window after
          the customer's previous invoice (the win-back of the stage rules).

        ``companies`` and ``partners`` (ids, or SQL of a subquery of ids) restrict the
        customers, ``before`` the dates (the history as of that day): neither changes which
        invoice is a customer's first one. One sort of the rows serves every window."""
        self.flush_model()
        self.env["res.company"].flush_model(["retention_churn_days"])
        conditions = [
            SQL("m.state = 'posted'"),
            SQL("m.move_type IN ('out_invoice', 'out_refund')"),
        ]
        if companies is not None:
            conditions.append(SQL("m.company_id = ANY(%s)", list(companies)))
        if isinstance(partners, SQL):
            conditions.append(SQL("m.commercial_partner_id IN (%s)", partners))
        elif partners is not None:
            conditions.append(SQL("m.commercial_partner_id = ANY(%s)", list(partners)))
        if before is not None:
            conditions.append(SQL("m.invoice_date < %s", before))
        return SQL(
            """
            (SELECT m.id, m.company_id, m.commercial_partner_id AS partner_id, m.move_type,
                    m.invoice_date, m.invoice_date_due, m.payment_state,
                    m.amount_untaxed_signed AS amount, m.amount_residual_signed AS residual,
                    m.move_type = 'out_invoice' AND ROW_NUMBER() OVER w = 1 AS is_first_invoice,
                    MIN(m.invoice_date) FILTER (WHERE m.move_type = 'out_invoice') OVER (
                        PARTITION BY m.company_id, m.commercial_partner_id
                    ) AS first_invoice_date,
                    COALESCE(m.move_type = 'out_invoice'
                             AND m.invoice_date - LAG(m.invoice_date) OVER w
                                 > c.retention_churn_days, FALSE) AS is_winback
               FROM account_move m
               JOIN res_company c ON c.id = m.company_id
              WHERE %s
             WINDOW w AS (PARTITION BY m.company_id, m.commercial_partner_id, m.move_type
                          ORDER BY m.invoice_date, m.id))
            """,
            SQL(" AND ").join(conditions),
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
                SQL(
                    "SELECT cm.id FROM %s cm WHERE cm.is_first_invoice",
                    self._retention_customer_moves(partners=posted.commercial_partner_id.ids),
                )
            )
            firsts = {row[0] for row in self.env.cr.fetchall()}
        for move in self:
            move.retention_is_first_invoice = move in posted and move.id in firsts
            move.retention_is_repeat = move in posted and move.id not in firsts

    def _retention_flag_domain(self, operator, value, condition, other_condition):
        """Posted customer invoices meeting ``condition`` (on _retention_customer_moves); the
        negation is written with the other condition so that both stay semi-joins (no NOT IN
        over a million ids)."""
        if operator not in ("=", "!="):
            raise UserError(self.env._("Search on this invoice flag with = or != only."))

        def matching(predicate):
            return SQL(
                "(SELECT cm.id FROM %s cm WHERE cm.move_type = 'out_invoice' AND %s)",
                self._retention_customer_moves(),
                predicate,
            )

        if (operator == "=") == bool(value):
            return [
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice"),
                ("id", "in", matching(condition)),
            ]
        return [
            "|",
            "|",
            ("state", "!=", "posted"),
            ("move_type", "!=", "out_invoice"),
            ("id", "in", matching(other_condition)),
        ]

    def _search_retention_is_first_invoice(self, operator, value):
        return self._retention_flag_domain(
            operator, value, SQL("cm.is_first_invoice"), SQL("NOT cm.is_first_invoice")
        )

    def _search_retention_is_repeat(self, operator, value):
        return self._retention_flag_domain(
            operator, value, SQL("NOT cm.is_first_invoice"), SQL("cm.is_first_invoice")
        )
