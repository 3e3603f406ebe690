import json

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.osv.expression import AND as and_domains
from odoo.tools import SQL

from ..field_kinds import figure
from ..profile.res_partner import (
    DROP_PROTECTED_KEY,
    INTERNAL_GROUPS,
    MONEY_FACTORS,
    MONEY_GROUPS,
)
from ..profile.retention_reason_text import reason_text

#: Customers not due to re-engage by their rhythm: no invoice yet, or already churned (the
#: win-back lists take those).
REENGAGE_EXCLUDED = ("prospect", "churned")


def decode_reason(data):
    """The stored main reason (retention_main_reason_data) as a dict, or None."""
    if not data:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) and value.get("code") else None


class ResPartner(models.Model):
    _inherit = "res.partner"

    # the revenue trend and payment reasons are read from revenue and debts
    retention_main_reason_data = figure(
        fields.Char,
        "Main Reason (data)",
        "Technical: the factor costing the most points, its reason code and numbers.",
        money=True,
    )
    retention_main_reason = fields.Char(
        string="Main Reason",
        compute="_compute_retention_main_reason",
        search="_search_retention_main_reason",
        help="What costs this customer the most health points, in words (e.g. no contact for "
        "75 days). Reasons read from revenue and debts are shown to invoicing users only.",
        groups=INTERNAL_GROUPS,
    )

    retention_expected_invoice_date = figure(
        fields.Date,
        "Next Invoice Expected",
        "The last invoice plus the customer's own buying rhythm (the usual gap between "
        "their invoices).",
    )
    retention_reengage_overdue = fields.Boolean(
        string="Due to Re-engage",
        compute="_compute_retention_reengage_overdue",
        search="_search_retention_reengage_overdue",
        help="The next invoice expected by the customer's buying rhythm is late, while the "
        "customer has not churned yet.",
        groups=INTERNAL_GROUPS,
    )

    retention_churn_reason_id = fields.Many2one(
        "retention.churn.reason",
        string="Churn Reason",
        company_dependent=True,
        readonly=True,
        copy=False,
        help="Why the customer was lost, the latest: from the risk case or account review that "
        "recorded the loss.",
        groups=INTERNAL_GROUPS,
    )
    retention_risk_ids = fields.One2many(
        "retention.risk", "partner_id", string="Risk Cases", groups=INTERNAL_GROUPS
    )

    @api.model
    def _retention_protected_values(self, vals, names):
        """The churn reason is recorded by risk cases and reviews (sudo), never set by hand."""
        if "retention_churn_reason_id" in names and not self.env.su:
            if self.env.context.get(DROP_PROTECTED_KEY):
                vals = {k: v for k, v in vals.items() if k != "retention_churn_reason_id"}
                names = names - {"retention_churn_reason_id"}
            else:
                raise AccessError(
                    self.env._(
                        "The churn reason is recorded by risk cases and account reviews, and "
                        "cannot be set by hand."
                    )
                )
        return super()._retention_protected_values(vals, names)

    @api.depends_context("company")
    @api.depends("retention_expected_invoice_date", "retention_stage")
    def _compute_retention_reengage_overdue(self):
        today = fields.Date.context_today(self)
        for partner in self:
            expected = partner.retention_expected_invoice_date
            partner.retention_reengage_overdue = bool(
                expected and expected < today and partner.retention_stage not in REENGAGE_EXCLUDED
            )

    def _search_retention_reengage_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        overdue = [
            ("retention_expected_invoice_date", "<", fields.Date.context_today(self)),
            ("retention_stage", "not in", list(REENGAGE_EXCLUDED)),
        ]
        return overdue if (operator == "=") == value else ["!", *and_domains([overdue])]

    @api.model
    def _retention_show_money(self):
        return self.env.su or self.env.user.has_groups(MONEY_GROUPS)

    @api.model
    def _retention_reason_words(self, data, show_money):
        """The words of one stored main reason, '' when hidden from this reader."""
        reason = decode_reason(data)
        if not reason or (reason.get("factor") in MONEY_FACTORS and not show_money):
            return ""
        return reason_text(self.env, reason["code"], reason.get("params"))

    @api.depends_context("company", "lang", "uid")
    @api.depends("retention_main_reason_data")
    def _compute_retention_main_reason(self):
        show_money = self._retention_show_money()
        for partner in self:
            # sudo: the data of money reasons are hidden, not their existence
            data = partner.sudo().retention_main_reason_data
            partner.retention_main_reason = self._retention_reason_words(data, show_money) or False

    def _search_retention_main_reason(self, operator, value):
        """Set-based: the distinct stored reasons of this company are few (a code and a number
        of days); each is worded once in the reader's language and matched, and the partners
        holding a matching one are selected in SQL."""
        if operator not in ("ilike", "not ilike", "=", "!=", "like", "not like"):
            raise NotImplementedError(operator)
        key = str(self.env.company.id)
        self.env["res.partner"].flush_model(["retention_main_reason_data"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT retention_main_reason_data ->> %s FROM res_partner "
                "WHERE retention_main_reason_data ? %s",
                key,
                key,
            )
        )
        show_money = self._retention_show_money()
        empty = value in (False, None, "") and operator in ("=", "!=")
        matching = []
        for (data,) in self.env.cr.fetchall():
            words = self._retention_reason_words(data, show_money)
            if empty:
                hit = bool(words)
            elif operator in ("=", "!="):
                hit = words == value
            elif operator in ("like", "not like"):
                hit = str(value) in words
            else:
                hit = str(value).lower() in words.lower()
            if hit:
                matching.append(data)
        selected = SQL(
            "(SELECT id FROM res_partner WHERE retention_main_reason_data ->> %s = ANY(%s))",
            key,
            matching,
        )
        # "= False" is the customers without a reason in words: not those with one
        inside = (operator in ("ilike", "like", "=")) != (empty and operator == "=")
        return [("id", "in" if inside else "not in", selected)]
