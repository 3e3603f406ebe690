"""What the monthly snapshots add to a customer: the health of the last months as a chart with
the stage bands, and why it moved between two months, factor by factor, in words."""

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_date

from ...engine.reasons import factor_reason, moved_factors
from ..profile.res_partner import MONEY_FACTORS, MONEY_GROUPS
from ..profile.retention_reason_text import factor_change_text

#: Size of the chart, in SVG units (it scales to the width of the tab).
CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 600, 160, 24
#: Room above 100 and right of the last month, so the dots at the edges are whole.
CHART_TOP, CHART_RIGHT = 8, 24


class ResPartner(models.Model):
    _inherit = "res.partner"

    retention_health_history = fields.Html(
        string="Health History",
        compute="_compute_retention_health_history",
        sanitize=False,
        help="The health score at the end of each of the last months (the company's history "
        "setting, 24 by default), and today's, over the stage bands: below the at-risk "
        "threshold, up to 70, and 70 and above. A month without a dot had no invoice yet.",
    )
    retention_health_moved = fields.Html(
        string="Why It Moved",
        compute="_compute_retention_health_history",
        sanitize=False,
        help="Between the last two months with a score: the factors whose points changed, "
        "the largest first, with what their facts said at the end of the later month.",
    )

    @api.depends_context("company", "lang", "uid")
    @api.depends("retention_health_score")
    def _compute_retention_health_history(self):
        for partner in self:
            history = partner._retention_health_months()
            partner.retention_health_history = partner._retention_history_svg(history)
            months = [month for month, score in history if score is not None]
            lines = partner._retention_why_moved(*months[-2:]) if len(months) >= 2 else []
            partner.retention_health_moved = partner._retention_moved_html(lines, months[-2:])

    def action_retention_compare_months(self):
        """The *Compare months* dialog: why the score moved between any two months."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_retention.retention_health_compare_action"
        )
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    @api.model
    def _retention_history_window(self):
        """``(first, current)``: the first month of the chart (the company's history setting
        before the current month, 24 by default) and the current month, first days."""
        current = fields.Date.context_today(self).replace(day=1)
        months = self.env.company.retention_history_months or 24
        return current - relativedelta(months=months), current

    def _retention_health_months(self):
        """``[(month, health)]`` of the company's history window, from the snapshots (health
        None where the month has no score), then the live score of the running month."""
        self.ensure_one()
        company = self.env.company
        partner = self._origin or self
        if not partner.id:
            return []
        first, current = self._retention_history_window()
        # the customer is readable (self); its snapshots are read for this company only, in
        # SQL: an Integer read through the ORM turns a month without a score into 0
        self.env["retention.snapshot"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT month, health_score FROM retention_snapshot
                 WHERE partner_id = %s AND company_id = %s AND month >= %s AND month < %s
                 ORDER BY month
                """,
                partner.id,
                company.id,
                first,
                current,
            )
        )
        history = self.env.cr.fetchall()
        if partner.retention_last_invoice_date:
            history.append((current, partner.retention_health_score))
        return history

    def _retention_why_moved(self, month_from, month_to):
        """The lines of "why it moved" between the ends of two months: the factors whose points
        changed, largest first, each with the reason its facts gave at the end of ``month_to``.
        The factors computed from revenue and debts are left out for users without invoicing
        rights (as in the factor table)."""
        self.ensure_one()
        company = self.env.company
        partner = self._origin or self
        days = [month + relativedelta(months=1, days=-1) for month in (month_from, month_to)]
        today = fields.Date.context_today(self)
        days = [min(day, today) for day in days]
        builder = self.env["retention.profile.builder"].sudo()
        # both ends read at once
        evaluations = {
            day: (facts, result)
            for _partner, day, facts, result in builder._evaluations_as_of_days(
                company, [partner.id], days
            )
        }
        before, after = (evaluations.get(day) for day in days)
        if not before or not after:
            return []
        show_money = self.env.su or self.env.user.has_groups(MONEY_GROUPS)
        facts, result = after
        rules = company._retention_stage_rules()
        lines, hidden = [], False
        for factor, delta in moved_factors(
            {f.name: f.points for f in before[1].factors},
            {f.name: f.points for f in result.factors},
        ):
            if factor in MONEY_FACTORS and not show_money:
                hidden = True
                continue
            reason = factor_reason(factor, facts, rules, days[1]) if delta < 0 else None
            lines.append(factor_change_text(self.env, factor, delta, reason))
        if hidden:
            lines.append(
                self.env._("Factors computed from revenue and debts moved too (not shown).")
            )
        return lines

    def _retention_moved_html(self, lines, months):
        if len(months) < 2:
            return Markup("<p class='text-muted'>%s</p>") % self.env._(
                "Not enough history yet: the score needs two months to compare."
            )
        title = self.env._(
            "From %(from)s to %(to)s:",
            **{
                "from": format_date(self.env, months[0], date_format="MMMM y"),
                "to": format_date(self.env, months[1], date_format="MMMM y"),
            },
        )
        if not lines:
            body = Markup("<li>%s</li>") % self.env._("No factor moved.")
        else:
            body = Markup("").join(Markup("<li>%s</li>") % line for line in lines)
        return Markup("<div class='o_retention_health_moved'><p>%s</p><ul>%s</ul></div>") % (
            title,
            body,
        )

    def _retention_history_svg(self, history):
        """A line of dots over three bands (below the at-risk threshold, to 70, from 70)."""
        if not any(score is not None for _month, score in history):
            return Markup("<p class='text-muted'>%s</p>") % self.env._(
                "No health history yet: it starts with the first invoice."
            )
        threshold = self.env.company.retention_at_risk_threshold
        width, height, margin = CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN
        plot = height - margin - CHART_TOP
        right = width - CHART_RIGHT

        def y(score):
            return round(CHART_TOP + plot - plot * score / 100.0, 1)

        step = (right - margin) / max(len(history) - 1, 1)
        parts = [
            Markup("<rect x='%s' y='%s' width='%s' height='%s' fill='%s' opacity='0.15'/>")
            % (margin, y(high), right - margin, y(low) - y(high), color)
            for low, high, color in (
                (0, threshold, "#dc3545"),
                (threshold, max(threshold, 70), "#ffc107"),
                (max(threshold, 70), 100, "#198754"),
            )
            if high > low
        ]
        points = []
        for index, (month, score) in enumerate(history):
            x = round(margin + index * step, 1)
            if index % 3 == len(history) % 3 or index == len(history) - 1:
                parts.append(
                    Markup(
                        "<text x='%s' y='%s' font-size='10' text-anchor='middle' fill='#6c757d'>"
                        "%s</text>"
                    )
                    % (x, height - 4, format_date(self.env, month, date_format="MMM yy"))
                )
            if score is None:
                continue
            points.append(f"{x},{y(score)}")
            parts.append(
                Markup(
                    "<circle cx='%s' cy='%s' r='3' fill='#0d6efd'><title>%s: %s</title></circle>"
                )
                % (x, y(score), format_date(self.env, month, date_format="MMMM y"), score)
            )
        for score in (0, threshold, 70, 100):
            parts.append(
                Markup("<text x='0' y='%s' font-size='10' fill='#6c757d'>%s</text>")
                % (y(score) + 3, score)
            )
        line = Markup("<polyline points='%s' fill='none' stroke='#0d6efd' stroke-width='2'/>") % (
            " ".join(points)
        )
        return Markup(
            "<svg class='o_retention_health_history' viewBox='0 0 %s %s' width='100%%' "
            "preserveAspectRatio='xMidYMid meet' role='img' aria-label='%s'>%s%s</svg>"
        ) % (width, height, self.env._("Health History"), Markup("").join(parts), line)
