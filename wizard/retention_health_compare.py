from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date


class RetentionHealthCompare(models.TransientModel):
    """*Compare months* on the customer's health history (issue #18): any two months of the
    chart, and why the score moved between them (res.partner._retention_why_moved). Opens on
    the last two months with a score, as the Retention tab shows them; nothing is saved."""

    _name = "retention.health.compare"
    _description = "Compare Two Months of a Customer's Health"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade"
    )
    month_from = fields.Selection(
        selection="_selection_months",
        string="From",
        help="The earlier month: its score as of its last day.",
    )
    month_to = fields.Selection(
        selection="_selection_months",
        string="To",
        help="The later month: its score as of its last day (today for the current month).",
    )
    moved = fields.Html(string="Why It Moved", compute="_compute_moved", sanitize=False)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        partner = self._context_partner()
        if partner and not values.get("partner_id"):
            values["partner_id"] = partner.id
        # the last two months with a score, as the Retention tab compares them
        months = [fields.Date.to_string(m) for m in self._scored_months(partner)]
        defaults = {"month_from": months[-2:-1], "month_to": months[-1:]}
        for name, month in defaults.items():
            if name in fields_list and month and not values.get(name):
                values[name] = month[0]
        return values

    @api.model
    def _context_partner(self):
        """The customer the dialog was opened on (read rights checked)."""
        context = self.env.context
        partner_id = context.get("default_partner_id")
        if not partner_id and context.get("active_model") == "res.partner":
            partner_id = context.get("active_id")
        partner = self.env["res.partner"].browse(partner_id).exists()
        partner.check_access("read")
        return partner.commercial_partner_id

    @api.model
    def _scored_months(self, partner):
        """The months of the customer's health history that have a score, oldest first."""
        if not partner:
            return []
        return [month for month, score in partner._retention_health_months() if score is not None]

    @api.model
    def _selection_months(self):
        """The months of the chart: the company's history window and the current month (the
        web client reads the choices once per model, whatever the customer; a month without
        a score for this customer says so)."""
        first, current = self.env["res.partner"]._retention_history_window()
        months = []
        while first <= current:
            months.append(first)
            first += relativedelta(months=1)
        return [
            (fields.Date.to_string(month), format_date(self.env, month, date_format="MMMM y"))
            for month in months
        ]

    @api.depends("partner_id", "month_from", "month_to")
    def _compute_moved(self):
        for wizard in self:
            wizard.moved = wizard._moved_html()

    def _moved_html(self):
        """Why it moved between the two months chosen (in either order: the earlier first),
        or what is missing to say it."""
        self.ensure_one()
        partner = self.partner_id
        partner.check_access("read")  # a customer given through RPC too
        scored = self._scored_months(partner)
        chosen = sorted({fields.Date.to_date(m) for m in (self.month_from, self.month_to) if m})
        if len(scored) < 2 or not chosen:
            return partner._retention_moved_html([], [])
        if len(chosen) < 2:
            return self._muted(self.env._("Choose two different months."))
        missing = [month for month in chosen if month not in scored]
        if missing:
            return self._muted(
                self.env._(
                    "No health score for %(month)s: choose a month of the chart.",
                    month=format_date(self.env, missing[0], date_format="MMMM y"),
                )
            )
        return partner._retention_moved_html(partner._retention_why_moved(*chosen), chosen)

    @staticmethod
    def _muted(text):
        return Markup("<p class='text-muted'>%s</p>") % text
