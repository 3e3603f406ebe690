from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_date

from ..profile.res_partner import MONEY_GROUPS
from ..profile.retention_reason_text import rhythm_text
from .retention_risk import CLOSED_STATES

#: Renewals this many days ahead are on the list.
RENEWAL_DAYS = 90
#: Reviews planned this many days ahead are due.
REVIEW_DAYS = 14
#: At most this many lines per list (the counts say how many there are).
LIST_LIMIT = 50
#: Records whose activities are follow-ups of a customer.
ACTIVITY_MODELS = ("res.partner", "project.project", "retention.review", "retention.risk")


class RetentionCockpit(models.AbstractModel):
    """What an account manager does today (Retention > My Customers): one grouped query per
    list, in the current company, for the user's own customers and cases."""

    _name = "retention.cockpit"
    _description = "Account Manager Cockpit"

    @api.model
    def get_cockpit_data(self, user_id=None):
        """{at_risk, reviews, renewals, reengage, risk_cases, activities}: lists of dicts, each
        with partner_id and a reason or date; plus the user, counts and whether money shows.
        A Retention manager may ask for another user's lists."""
        self.env["retention.risk"].check_access("read")
        user = self.env.user
        if user_id and user_id != user.id:
            if not self._is_manager():
                raise AccessError(
                    self.env._("Only Retention managers can see another user's customers.")
                )
            user = self.env["res.users"].browse(user_id).exists()
            if not user:
                raise AccessError(self.env._("This user does not exist (any more)."))
        today = fields.Date.context_today(self)
        lists = {
            "at_risk": self._at_risk(user),
            "reviews": self._reviews(user, today),
            "renewals": self._renewals(user, today),
            "reengage": self._reengage(user, today),
            "risk_cases": self._risk_cases(user, today),
            "activities": self._activities(user, today),
        }
        return {
            "user": {"id": user.id, "name": user.name},
            "users": self._account_managers() if self._is_manager() else [],
            "money": self.env.su or self.env.user.has_groups(MONEY_GROUPS),
            "today": fields.Date.to_string(today),
            **lists,
        }

    @api.model
    def _is_manager(self):
        return self.env.su or self.env.user.has_group("customer_retention.group_retention_manager")

    @api.model
    def _account_managers(self):
        """The users looking after customers, for a manager to pick (one grouped query)."""
        groups = self.env["res.partner"]._read_group(
            [("retention_account_manager_id", "!=", False)], ["retention_account_manager_id"]
        )
        users = self.env["res.users"].union(*(user for (user,) in groups)) | self.env.user
        return [{"id": u.id, "name": u.name} for u in users.sorted("name")]

    @api.model
    def action_open(self, model, res_id, kind="open"):
        """The window action of one click of the cockpit: open the record, log a call or
        schedule an activity on it, plan a review of the customer."""
        if model not in ACTIVITY_MODELS:
            raise AccessError(
                self.env._("The cockpit opens customers, projects, reviews and cases.")
            )
        record = self.env[model].browse(res_id).exists()
        record.check_access("read")
        if kind == "open":
            return {
                "type": "ir.actions.act_window",
                "res_model": model,
                "res_id": record.id,
                "views": [[False, "form"]],
                "target": "current",
            }
        if kind == "review":
            return {
                "type": "ir.actions.act_window",
                "res_model": "retention.review",
                "views": [[False, "form"]],
                "target": "new",
                "context": {"default_partner_id": record.id},
            }
        context = {
            "default_res_model": model,
            "default_res_id": record.id,
            "default_user_id": self.env.user.id,
        }
        if kind == "call":
            call = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
            if call:
                context["default_activity_type_id"] = call.id
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.activity",
            "views": [[False, "form"]],
            "target": "new",
            "context": context,
        }

    @api.model
    def _dated(self, day):
        """An item's date: ``date`` (ISO, for clients) and ``date_label`` (in the reader's
        language and date format, as shown)."""
        if not day:
            return {"date": False, "date_label": ""}
        return {"date": fields.Date.to_string(day), "date_label": format_date(self.env, day)}

    def _customers_domain(self, user):
        return [("retention_account_manager_id", "=", user.id), ("is_company", "=", True)]

    @api.model
    def _at_risk(self, user):
        partners = self.env["res.partner"].search(
            self._customers_domain(user)
            + [
                "|",
                ("retention_stage", "=", "at_risk"),
                "&",
                ("retention_health_trend", "=", "down"),
                ("retention_stage", "in", ["new", "active", "won_back"]),
            ],
            order="retention_health_score, id",
            limit=LIST_LIMIT,
        )
        return [
            {
                "partner_id": p.id,
                "name": p.display_name,
                "stage": p.retention_stage,
                "health": p.retention_health_score,
                "reason": p.retention_main_reason or "",
            }
            for p in partners
        ]

    @api.model
    def _reviews(self, user, today):
        reviews = self.env["retention.review"].search(
            [
                ("user_id", "=", user.id),
                ("state", "=", "planned"),
                ("date_planned", "<=", today + timedelta(days=REVIEW_DAYS)),
            ],
            order="date_planned, id",
            limit=LIST_LIMIT,
        )
        return [
            {
                "id": r.id,
                "partner_id": r.partner_id.id,
                "name": r.partner_id.display_name,
                **self._dated(r.date_planned),
                "overdue": r.date_planned < today,
            }
            for r in reviews
        ]

    @api.model
    def _renewals(self, user, today):
        horizon = today + timedelta(days=RENEWAL_DAYS)
        window = [
            ("retention_renewal_date", ">=", today),
            ("retention_renewal_date", "<=", horizon),
        ]
        partners = self.env["res.partner"].search(
            self._customers_domain(user) + window, order="retention_renewal_date", limit=LIST_LIMIT
        )
        projects = self.env["project.project"].search(
            [("partner_id.commercial_partner_id.retention_account_manager_id", "=", user.id)]
            + window,
            order="retention_renewal_date",
            limit=LIST_LIMIT,
        )
        items = [
            {
                "partner_id": p.id,
                "name": p.display_name,
                "model": "res.partner",
                "res_id": p.id,
                **self._dated(p.retention_renewal_date),
            }
            for p in partners
        ] + [
            {
                "partner_id": p.partner_id.commercial_partner_id.id,
                "name": p.display_name,
                "model": "project.project",
                "res_id": p.id,
                **self._dated(p.retention_renewal_date),
            }
            for p in projects
        ]
        return sorted(items, key=lambda item: (item["date"], item["name"]))[:LIST_LIMIT]

    @api.model
    def _reengage(self, user, today):
        """Customers whose next invoice by their own rhythm is late; the reason is the rhythm
        ("buys every ~3 months, last invoice 5 months ago"), the date the expected invoice."""
        partners = self.env["res.partner"].search(
            self._customers_domain(user) + [("retention_reengage_overdue", "=", True)],
            order="retention_expected_invoice_date, id",
            limit=LIST_LIMIT,
        )
        items = []
        for p in partners:
            expected, last = p.retention_expected_invoice_date, p.retention_last_invoice_date
            reason = ""
            if last:
                # the expected invoice is the last one plus the customer's rhythm (the builder's)
                reason = rhythm_text(self.env, (expected - last).days, (today - last).days)
            items.append(
                {
                    "partner_id": p.id,
                    "name": p.display_name,
                    **self._dated(expected),
                    "reason": reason,
                }
            )
        return items

    @api.model
    def _risk_cases(self, user, today):
        cases = self.env["retention.risk"].search(
            [("user_id", "=", user.id), ("state", "not in", CLOSED_STATES)],
            order="date_next, id",
            limit=LIST_LIMIT,
        )
        states = dict(cases._fields["state"]._description_selection(self.env))
        kinds = dict(cases._fields["kind"]._description_selection(self.env))
        return [
            {
                "id": c.id,
                "partner_id": c.partner_id.id,
                "name": c.partner_id.display_name,
                "kind": c.kind,
                "kind_label": kinds[c.kind],
                "state": states[c.state],
                **self._dated(c.date_next),
                "overdue": bool(c.date_next and c.date_next < today),
                "reason": c.reason_id.name or "",
            }
            for c in cases
        ]

    @api.model
    def _activities(self, user, today):
        activities = self.env["mail.activity"].search(
            [
                ("user_id", "=", user.id),
                ("date_deadline", "<=", today),
                ("res_model", "in", list(ACTIVITY_MODELS)),
            ],
            order="date_deadline, id",
            limit=LIST_LIMIT,
        )
        # one read per model of the customers the activities are about
        partner_of = {}
        for model, group in activities.grouped("res_model").items():
            records = self.env[model].browse(group.mapped("res_id")).exists()
            for record in records:
                partner = record if model == "res.partner" else record.partner_id
                partner_of[(model, record.id)] = partner.commercial_partner_id.id
        return [
            {
                "id": a.id,
                "partner_id": partner_of.get((a.res_model, a.res_id), False),
                "name": a.summary or a.activity_type_id.name or "",
                "record": a.res_name,
                "model": a.res_model,
                "res_id": a.res_id,
                **self._dated(a.date_deadline),
                "overdue": a.date_deadline < today,
            }
            for a in activities
        ]

    @api.model
    def _digest_body(self, data):
        """The weekly digest's HTML: each non-empty list, its lines linking to the records."""
        _ = self.env._
        titles = {
            "at_risk": _("At risk or falling"),
            "reengage": _("Due to re-engage by their rhythm"),
            "risk_cases": _("Open cases"),
            "reviews": _("Reviews due"),
            "renewals": _("Renewals in the next 90 days"),
            "activities": _("Follow-ups due today or late"),
        }
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        parts = [
            Markup("<p>%s</p>")
            % _("Hello %(name)s, your customers to act on this week:", name=data["user"]["name"])
        ]
        for key, title in titles.items():
            items = data[key]
            if not items:
                continue
            lines = Markup("").join(
                Markup('<li><a href="%s/odoo/res.partner/%s">%s</a> %s</li>')
                % (
                    base,
                    item["partner_id"],
                    item["name"],
                    item.get("reason") or item.get("date_label") or "",
                )
                for item in items
            )
            parts.append(Markup("<h3>%s (%s)</h3><ul>%s</ul>") % (title, len(items), lines))
        parts.append(
            Markup(
                '<p><a href="%s/odoo/action-customer_retention.retention_cockpit_action">%s</a></p>'
            )
            % (base, _("Open My Customers"))
        )
        return Markup("").join(parts)
