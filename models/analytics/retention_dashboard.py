from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date, formatLang

from ...engine import metrics
from ...report.retention_metric_report import (
    PERIOD_MONTHS,
    TOTAL_COUNT_FIELDS,
    TOTAL_MONEY_FIELDS,
)
from ..profile.res_partner import MONEY_GROUPS

#: (key, kind, needs money rights, report rows behind the figure)
KPIS = [
    ("customer_retention_rate", "percent", False, [("customers_start", "=", 1)]),
    ("logo_churn_rate", "percent", False, [("customers_lost", "=", 1)]),
    ("customers_end", "count", False, [("customers_end", "=", 1)]),
    ("revenue_churn_rate", "percent", True, [("customers_lost", "=", 1)]),
    ("gross_revenue_retention", "percent", True, [("customers_start", "=", 1)]),
    ("net_revenue_retention", "percent", True, [("customers_start", "=", 1)]),
    ("repeat_revenue_share", "percent", True, [("revenue_period", "!=", 0)]),
    ("revenue_at_risk", "money", True, [("revenue_at_risk", "!=", 0)]),
    ("average_lifetime_value", "money", True, [("customers_end", "=", 1)]),
]
#: The report field whose help explains each figure (the same text as the README).
KPI_FIELDS = {
    "customer_retention_rate": "retention_rate",
    "logo_churn_rate": "churn_rate",
    "customers_end": "customers_end",
    "revenue_churn_rate": "revenue_churned",
    "gross_revenue_retention": "revenue_retained",
    "net_revenue_retention": "revenue_net_retained",
    "repeat_revenue_share": "revenue_repeat",
    "revenue_at_risk": "revenue_at_risk",
    "average_lifetime_value": "revenue_lifetime",
}
#: Metrics where a lower value is better (the trend arrow is red when it goes up).
LOWER_IS_BETTER = {"logo_churn_rate", "revenue_churn_rate", "revenue_at_risk"}
COUNT_FIELDS = TOTAL_COUNT_FIELDS
MONEY_FIELDS = TOTAL_MONEY_FIELDS
CURVE_PERIODS = 12
UPCOMING_DAYS = 60
LIST_LIMIT = 8


class RetentionDashboard(models.AbstractModel):
    """The data of the Retention dashboard (client action customer_retention.dashboard)."""

    _name = "retention.dashboard"
    _description = "Retention dashboard"

    # ------------------------------------------------------------------
    # Labels
    # ------------------------------------------------------------------
    def _kpi_labels(self):
        _ = self.env._
        return {
            "customer_retention_rate": _("Customer Retention"),
            "logo_churn_rate": _("Logo Churn"),
            "customers_end": _("Active Customers"),
            "revenue_churn_rate": _("Revenue Churn"),
            "gross_revenue_retention": _("Gross Revenue Retention"),
            "net_revenue_retention": _("Net Revenue Retention"),
            "repeat_revenue_share": _("Repeat Revenue"),
            "revenue_at_risk": _("Revenue at Risk"),
            "average_lifetime_value": _("Avg. Customer Lifetime Value"),
        }

    def _kpi_help(self):
        """The (translated) help of the report field each figure sums."""
        Report = self.env["retention.metric.report"]
        names = list(KPI_FIELDS.values())
        described = Report.fields_get([n for n in names if n in Report._fields], ["help"])
        return {key: described.get(name, {}).get("help", "") for key, name in KPI_FIELDS.items()}

    def _period_label(self, period_type, start):
        if period_type == "month":
            return format_date(self.env, start, date_format="MMM yyyy")
        if period_type == "quarter":
            return self.env._(
                "Q%(quarter)s %(year)s", quarter=(start.month - 1) // 3 + 1, year=start.year
            )
        return str(start.year)

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------
    @api.model
    def get_dashboard_data(self, period_type="month", company_id=None, filters=None):
        """Everything the dashboard shows, for the running period of that type in that company,
        with optional filters {account_manager_id, category_id, country_id, industry_id}."""
        # rights first: nothing below is computed for users who may not read the figures
        self.env["retention.metric.report"].check_access("read")
        if period_type not in PERIOD_MONTHS:
            raise UserError(
                self.env._(
                    "Unknown period %(period)s: use month, quarter or year.", period=period_type
                )
            )
        company = self.env["res.company"].browse(company_id) if company_id else self.env.company
        if company not in self.env.user.company_ids:
            raise AccessError(
                self.env._("You do not work in the company asked for: pick one of yours.")
            )
        self = self.with_company(company)
        money = self.env.user.has_groups(MONEY_GROUPS)
        today = fields.Date.context_today(self)
        months = PERIOD_MONTHS[period_type]
        current = today.replace(day=1) - relativedelta(months=(today.month - 1) % months)
        step = relativedelta(months=PERIOD_MONTHS[period_type])
        starts = [current - step * n for n in range(CURVE_PERIODS - 1, -1, -1)]
        base_domain = [("company_id", "=", company.id), ("period_type", "=", period_type)]
        filter_domain = self._filter_domain(filters or {})
        base_domain += filter_domain
        by_period = (
            self._period_totals(base_domain, starts, money)
            if filter_domain
            else self._company_period_totals(company, period_type, starts, money)
        )
        history = []
        for start in starts:
            figures = metrics.rates(by_period.get(start) or self._empty_totals())
            history.append(
                {
                    "period_start": fields.Date.to_string(start),
                    "label": self._period_label(period_type, start),
                    "customer_retention_rate": figures["customer_retention_rate"],
                    "net_revenue_retention": figures["net_revenue_retention"] if money else None,
                    "gross_revenue_retention": figures["gross_revenue_retention"]
                    if money
                    else None,
                    "customers_end": figures["customers_end"],
                    "action": self._report_action(
                        self.env._(
                            "Customers of %(period)s", period=self._period_label(period_type, start)
                        ),
                        base_domain + [("period_start", "=", start)],
                    ),
                }
            )
        # periods before the first one with data are left out (a year view of a company with
        # two years of history shows two bars, not ten empty ones); the running period stays
        while len(history) > 1 and fields.Date.to_date(history[0]["period_start"]) not in by_period:
            history.pop(0)
        current_figures = metrics.rates(by_period.get(current) or self._empty_totals())
        previous_start = current - step
        previous_figures = metrics.rates(by_period.get(previous_start) or self._empty_totals())
        if not self._health_known(company, previous_start, period_type, today):
            previous_figures["revenue_at_risk"] = None
        partner_domain = self._partner_filter_domain(filters or {})
        at_risk = self._at_risk_customers(company, money, partner_domain)
        if money:
            # one definition on one screen: the card of the running period sums the list below
            # it (the customers at risk now, their 12-month revenue now); earlier periods keep
            # what was stored at their end
            current_figures["revenue_at_risk"] = at_risk["total"]
        kpis = self._kpis(company, money, current_figures, previous_figures, base_domain, current)
        for kpi in kpis:
            if kpi["key"] == "revenue_at_risk":
                kpi["action"] = at_risk["action"]
                kpi["help"] = " ".join(
                    (
                        kpi["help"],
                        self.env._(
                            "The running period shows the customers at risk now and their "
                            "12-month revenue now: the total of the Revenue at risk list."
                        ),
                    )
                )
        return {
            "company_id": company.id,
            "companies": [{"id": c.id, "name": c.name} for c in self.env.user.company_ids],
            "period_type": period_type,
            "period_label": self._period_label(period_type, current),
            "previous_label": self._period_label(period_type, previous_start),
            "money": money,
            "kpis": kpis,
            "history": history,
            "at_risk": at_risk["items"],
            "at_risk_count": at_risk["count"],
            "at_risk_total": at_risk["total_display"],
            "at_risk_action": at_risk["action"],
            "reviews": self._upcoming_reviews(company, today, partner_domain),
            "renewals": self._upcoming_renewals(company, today, partner_domain),
            "stages": self._stage_distribution(company, partner_domain),
            "filter_options": self._filter_options(company),
            "filters": filters or {},
        }

    @api.model
    def _empty_totals(self):
        return dict.fromkeys(COUNT_FIELDS, 0) | dict.fromkeys(MONEY_FIELDS, 0.0)

    @api.model
    def _filter_domain(self, filters):
        domain = []
        for key, field in (
            ("account_manager_id", "account_manager_id"),
            ("country_id", "country_id"),
            ("industry_id", "industry_id"),
        ):
            if filters.get(key):
                domain.append((field, "=", int(filters[key])))
        if filters.get("category_id"):
            domain.append(("category_ids", "in", [int(filters["category_id"])]))
        return domain

    @api.model
    def _partner_filter_domain(self, filters, prefix=""):
        """The dashboard's filters as a domain on the customers (res.partner), or on a model
        pointing to them through ``prefix`` (e.g. "partner_id.commercial_partner_id.")."""
        domain = []
        for key, field in (
            ("account_manager_id", "retention_account_manager_id"),
            ("country_id", "country_id"),
            ("industry_id", "industry_id"),
        ):
            if filters.get(key):
                domain.append((prefix + field, "=", int(filters[key])))
        if filters.get("category_id"):
            domain.append((prefix + "category_id", "in", [int(filters["category_id"])]))
        return domain

    @staticmethod
    def _prefixed(domain, prefix):
        return [(prefix + leaf[0], *leaf[1:]) for leaf in domain]

    @api.model
    def _period_totals(self, domain, starts, money):
        """Sums of the report rows per period: one grouped query."""
        aggregates = [f"{name}:sum" for name in COUNT_FIELDS]
        if money:
            aggregates += [f"{name}:sum" for name in MONEY_FIELDS]
        groups = self.env["retention.metric.report"]._read_group(
            domain + [("period_start", "in", starts)], ["period_start:day"], aggregates
        )
        names = COUNT_FIELDS + (MONEY_FIELDS if money else [])
        result = {}
        for period_start, *values in groups:
            totals = self._empty_totals()
            totals.update({name: value or 0 for name, value in zip(names, values, strict=True)})
            result[fields.Date.to_date(period_start)] = totals
        return result

    @api.model
    def _company_period_totals(self, company, period_type, starts, money):
        """The same sums without filters, from the sums stored per company and period (a
        grouped read sums 100,000 customers' rows at each opening)."""
        totals = self.env["retention.metric.report"]._company_totals(company, period_type, starts)
        if not money:
            for figures in totals.values():
                figures.update(dict.fromkeys(MONEY_FIELDS, 0.0))
        return {
            start: self._empty_totals() | {name: value or 0 for name, value in figures.items()}
            for start, figures in totals.items()
        }

    @api.model
    def _health_known(self, company, period_start, period_type, today):
        """Was the health score (hence the at-risk stage) recorded at the end of that period?"""
        end = min(
            period_start + relativedelta(months=PERIOD_MONTHS[period_type] - 1),
            today.replace(day=1),
        )
        return bool(
            self.env["retention.snapshot"].search_count(
                [
                    ("company_id", "=", company.id),
                    ("month", "=", end),
                    ("health_score", "!=", False),
                ],
                limit=1,
            )
        )

    @api.model
    def _format(self, value, kind, company):
        if value is None:
            return ""
        if kind == "percent":
            # the language's decimal separator, as the amounts
            return f"{formatLang(self.env, value, digits=1)} %"
        if kind == "money":
            return format_amount(self.env, value, company.currency_id)
        return str(int(value))

    @api.model
    def _kpis(self, company, money, current, previous, base_domain, start):
        labels, helps = self._kpi_labels(), self._kpi_help()
        result = []
        for key, kind, needs_money, rows_domain in KPIS:
            if needs_money and not money:
                continue
            value, before = current.get(key), previous.get(key)
            direction = metrics.trend(value, before, 0.05 if kind == "percent" else 0.0)
            good = None
            if direction in ("up", "down"):
                good = (direction == "up") != (key in LOWER_IS_BETTER)
            result.append(
                {
                    "key": key,
                    "label": labels[key],
                    "help": helps[key],
                    "value": value,
                    "display": self._format(value, kind, company),
                    "previous": before,
                    "previous_display": self._format(before, kind, company),
                    "trend": direction,
                    "good": good,
                    "action": self._report_action(
                        labels[key], base_domain + [("period_start", "=", start)] + rows_domain
                    ),
                }
            )
        return result

    @api.model
    def _report_action(self, name, domain):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "retention.metric.report",
            "views": [
                [
                    self.env.ref(
                        "customer_retention.retention_metric_report_view_list_dashboard"
                    ).id,
                    "list",
                ],
                [False, "pivot"],
                [False, "graph"],
            ],
            "domain": domain,
            "context": {"search_default_group_period": 0},
        }

    @api.model
    def _record_action(self, record):
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [[False, "form"]],
        }

    @api.model
    def _list_action(self, name, model, domain, views=("list", "form")):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "views": [[False, view] for view in views],
            "domain": domain,
        }

    @api.model
    def _at_risk_customers(self, company, money, partner_domain=()):
        """The customers at risk now (with the dashboard's filters): the first ones, by
        12-month revenue (largest first) for those who may see revenue, else by health score
        (lowest first); how many there are and, with money rights, their 12-month revenue now
        (the Revenue at Risk card of the running period)."""
        Partner = self.env["res.partner"].with_company(company)
        domain = [("retention_stage", "=", "at_risk"), *partner_domain]
        order = "retention_revenue_12m desc, id" if money else "retention_health_score, id"
        top = Partner.search(domain, order=order, limit=LIST_LIMIT)
        # one grouped query for the count and the total, however many customers are at risk
        aggregates = ["__count"] + (["retention_revenue_12m:sum"] if money else [])
        [(count, *total)] = Partner._read_group(domain, [], aggregates)
        total = (total[0] or 0.0) if money else None
        more = count - len(top)
        action = self._list_action(self.env._("At-Risk Customers"), "res.partner", domain)
        items = [
            {
                "id": p.id,
                "name": p.display_name,
                "health": p.retention_health_score,
                "revenue": format_amount(self.env, p.retention_revenue_12m, company.currency_id)
                if money
                else "",
                "action": self._record_action(p),
            }
            for p in top
        ]
        if more:
            items.append({"more": more, "action": action})
        return {
            "items": items,
            "count": count,
            "total": total,
            "total_display": self._format(total, "money", company) if money else "",
            "action": action,
        }

    @api.model
    def _upcoming_reviews(self, company, today, partner_domain=()):
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "planned"),
            ("date_planned", "<=", today + timedelta(days=UPCOMING_DAYS)),
            *self._prefixed(partner_domain, "partner_id."),
        ]
        Review = self.env["retention.review"]
        reviews = Review.search(domain, order="date_planned, id", limit=LIST_LIMIT)
        return {
            "count": Review.search_count(domain),
            "items": [
                {
                    "id": r.id,
                    "name": r.partner_id.display_name,
                    "date": format_date(self.env, r.date_planned),
                    "overdue": r.date_planned < today,
                    "user": r.user_id.name or "",
                    "action": self._record_action(r),
                }
                for r in reviews
            ],
            "action": self._list_action(
                self.env._("Upcoming Reviews"),
                "retention.review",
                domain,
                ("list", "form", "calendar"),
            ),
        }

    @api.model
    def _upcoming_renewals(self, company, today, customer_domain=()):
        horizon = today + timedelta(days=UPCOMING_DAYS)
        partner_domain = [
            ("retention_renewal_date", ">=", today),
            ("retention_renewal_date", "<=", horizon),
            ("company_id", "in", [company.id, False]),
            *customer_domain,
        ]
        project_domain = [
            ("retention_renewal_date", ">=", today),
            ("retention_renewal_date", "<=", horizon),
            ("company_id", "in", [company.id, False]),
            *self._prefixed(customer_domain, "partner_id.commercial_partner_id."),
        ]
        partners = self.env["res.partner"].search(partner_domain, order="retention_renewal_date")
        projects = self.env["project.project"].search(
            project_domain, order="retention_renewal_date"
        )
        items = [
            (p.retention_renewal_date, p.display_name, self.env._("Customer"), p) for p in partners
        ] + [
            (
                p.retention_renewal_date,
                p.display_name,
                p.partner_id.display_name or self.env._("Project"),
                p,
            )
            for p in projects
        ]
        items.sort(key=lambda item: (item[0], item[1]))
        return {
            "count": len(items),
            "items": [
                {
                    "key": f"{record._name}-{record.id}",
                    "name": name,
                    "detail": detail,
                    "date": format_date(self.env, day),
                    "action": self._record_action(record),
                }
                for day, name, detail, record in items[:LIST_LIMIT]
            ],
            "customers_action": self._list_action(
                self.env._("Customer Renewals"), "res.partner", partner_domain
            ),
            "projects_action": self._list_action(
                self.env._("Project Renewals"), "project.project", project_domain
            ),
        }

    @api.model
    def _stage_distribution(self, company, partner_domain=()):
        Partner = self.env["res.partner"].with_company(company)
        domain = [("retention_stage", "!=", False), *partner_domain]
        counts = dict(Partner._read_group(domain, ["retention_stage"], ["__count"]))
        labels = dict(Partner._fields["retention_stage"]._description_selection(self.env))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_retention.res_partner_action_customers"
        )
        total = sum(counts.values()) or 1
        result = []
        for stage, label in labels.items():
            count = counts.get(stage, 0)
            stage_action = dict(
                action, name=label, domain=[("retention_stage", "=", stage), *partner_domain]
            )
            stage_action["views"] = [[False, "list"], [False, "kanban"], [False, "form"]]
            stage_action.pop("view_id", None)
            result.append(
                {
                    "stage": stage,
                    "label": label,
                    "count": count,
                    "share": round(100.0 * count / total, 1),
                    "action": stage_action,
                }
            )
        return result

    @api.model
    def _filter_options(self, company):
        """Account managers, countries and industries of the company's customers (one scan
        of the partners, a grouping set per field: three grouped reads took 0.27 s at
        100,000 customers); tags."""
        Partner = self.env["res.partner"].with_company(company)
        names = ["retention_account_manager_id", "country_id", "industry_id"]
        query = Partner._search([("retention_stage", "not in", (False, "prospect"))])
        columns = [Partner._field_to_sql(Partner._table, name, query) for name in names]
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM %s WHERE %s GROUP BY GROUPING SETS (%s)",
                SQL(", ").join(columns),
                query.from_clause,
                query.where_clause or SQL("TRUE"),
                SQL(", ").join(SQL("(%s)", column) for column in columns),
            )
        )
        options = {}
        for position, name in enumerate(names):
            # a row of this field's set has its value there and NULL elsewhere; the partners
            # without a value make the row of NULLs, left out
            ids = {row[position] for row in rows if row[position] is not None}
            records = self.env[Partner._fields[name].comodel_name].browse(sorted(ids))
            key = "account_manager_id" if name == "retention_account_manager_id" else name
            options[key] = sorted(
                ({"id": record.id, "name": record.display_name} for record in records),
                key=lambda item: item["name"],
            )
        tags = self.env["res.partner.category"].search([], limit=200)
        options["category_id"] = [{"id": t.id, "name": t.display_name} for t in tags]
        return options
