import json
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, formatLang, index_exists

from ...engine.health import FACTORS
from ..field_kinds import INTERNAL_GROUPS, MONEY_GROUPS, figure
from ..ui_actions import window_action
from .retention_profile_builder import FIGURE_COLUMNS

RETENTION_STAGES = [
    ("prospect", "Prospect"),
    ("new", "New"),
    ("active", "Active"),
    ("at_risk", "At Risk"),
    ("churned", "Churned"),
    ("won_back", "Won Back"),
]

TRENDS = [("up", "Rising"), ("steady", "Steady"), ("down", "Falling")]

#: Written by the module only: the figures of retention.profile.builder (SQL) and the loss
#: recorded by an account review completed as lost (sudo). Nobody sets them by hand.
MODULE_FIELDS = frozenset(
    [name for name, _cast, _nullable in FIGURE_COLUMNS]
    + ["retention_lost_date", "retention_lost_reason"]
)
#: Set by users in the Retention tab: Retention users only.
RETENTION_USER_FIELDS = frozenset(
    [
        "retention_account_manager_id",
        "retention_review_cadence",
        "retention_next_review_date",
        "retention_referred_by_id",
        "retention_renewal_date",
    ]
)
#: Context key of callers writing every field of a contact at once (the contact merge): the
#: fields above are left out instead of refused. Leaving a value out gives a caller nothing.
DROP_PROTECTED_KEY = "retention_drop_protected_fields"
#: How long the explanation says that the weights changed.
WEIGHTS_NOTE_DURATION = timedelta(days=30)
#: Health factors computed from revenue and debts: their scores and points are money figures.
MONEY_FACTORS = ("trend", "payment")
#: Customers recomputed at most by one click of "Recompute now" (the job does the rest).
RECOMPUTE_LIMIT = 100
#: One index per company (its id in the name) on the company's stage, in res.partner's order.
STAGE_ORDER_INDEX = "res_partner_retention_stage_company_%s_idx"


def can_look_after(user, company=None):
    """Whether ``user`` may be given a customer of ``company`` to look after (reviews,
    activities, alerts): an active internal user allowed in that company (in any company when
    ``company`` is None). Part of the rule of res.partner._retention_responsible_users."""
    return bool(
        user and user.active and not user.share and (company is None or company in user.company_ids)
    )


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "retention.related.count.mixin"]

    # Figures of the commercial partner (field_kinds.figure), written in bulk by
    # retention.profile.builder; the stage alone is indexed (the lists filter on it).
    retention_customer_since = figure(
        fields.Date, "Customer Since", "Date of the first posted customer invoice in this company."
    )
    retention_last_invoice_date = figure(
        fields.Date, "Last Invoice", "Date of the latest posted customer invoice in this company."
    )
    retention_last_contact_date = figure(
        fields.Date,
        "Last Contact",
        "Latest real exchange with the customer: an email or message sent to or received "
        "from them (internal notes do not count), or a call or meeting marked done, on the "
        "customer, one of their contacts, projects or invoices.",
    )
    retention_revenue_12m = figure(
        fields.Float,
        "Revenue (12 months)",
        "Untaxed posted customer invoices minus credit notes dated in the last 12 months, "
        "in the company's currency.",
        money=True,
        digits="Account",
    )
    retention_revenue_prev_12m = figure(
        fields.Float,
        "Revenue (previous 12 months)",
        "The same, for the 12 months before the last 12.",
        money=True,
        digits="Account",
    )
    retention_revenue_lifetime = figure(
        fields.Float,
        "Lifetime Revenue",
        "Untaxed posted customer invoices minus credit notes, all time.",
        money=True,
        digits="Account",
    )
    retention_repeat_revenue_share = figure(
        fields.Float,
        "Repeat Revenue (%)",
        "Share of lifetime revenue invoiced after the customer's first invoice date.",
        money=True,
        digits=(5, 1),
    )
    retention_overdue_amount = figure(
        fields.Float,
        "Overdue Amount",
        "Amount still due on customer invoices past their due date.",
        money=True,
        digits="Account",
    )
    retention_overdue_days = figure(
        fields.Integer,
        "Oldest Overdue (days)",
        "Days past due of the oldest unpaid invoice.",
        money=True,
    )
    retention_invoice_count = figure(
        fields.Integer, "Posted Invoices", "Posted customer invoices (credit notes excluded)."
    )
    retention_credit_note_count = figure(
        fields.Integer,
        "Credit Notes (12 months)",
        "Posted credit notes in the last 12 months: invoices corrected or disputed.",
    )
    retention_project_open_count = figure(fields.Integer, "Open Projects")
    retention_project_done_count = figure(
        fields.Integer,
        "Done Projects",
        "Projects in a folded (closed) stage, archived, or whose last status is Done.",
    )
    retention_health_score = figure(
        fields.Integer,
        "Health Score",
        "0-100: the weighted mean of the factors that have data (see the breakdown on "
        "the Retention tab). Weights are set in Settings.",
        aggregator="avg",
    )
    retention_health_score_prev = figure(
        fields.Integer,
        "Previous Health Score",
        "The health score before its last change.",
        aggregator="avg",
    )
    retention_health_trend = figure(
        fields.Selection,
        "Health Trend",
        "Direction of the last change of the health score.",
        selection=TRENDS,
    )
    retention_revenue_trend = figure(
        fields.Selection,
        "Revenue Trend",
        "Revenue of the last 12 months against the 12 before (more than 5% apart).",
        selection=TRENDS,
    )
    # the revenue trend and payment scores are ratios of revenue and debts
    retention_health_factors = figure(
        fields.Text,
        "Health Factors (data)",
        "Technical: each factor's score, weight and share, as computed.",
        money=True,
    )
    retention_stage = fields.Selection(
        RETENTION_STAGES,
        company_dependent=True,
        readonly=True,
        group_expand=True,
        help="Prospect: no posted invoice yet. Churned: last invoice older than the churn "
        "window. At risk: health below the threshold. Won back: invoiced again after a "
        "gap longer than the churn window, recently. New: first invoice within the "
        "onboarding period. Active: the rest.",
        groups=INTERNAL_GROUPS,
    )
    retention_stage_date = figure(fields.Date, "In Stage Since")
    retention_lost_date = fields.Date(
        string="Marked Lost On",
        company_dependent=True,
        copy=False,
        help="Set when an account review records the customer as lost: the customer counts "
        "as churned until invoiced again.",
        groups=INTERNAL_GROUPS,
    )
    retention_lost_reason = fields.Char(
        string="Lost Reason",
        company_dependent=True,
        copy=False,
        groups=INTERNAL_GROUPS,
    )
    retention_account_manager_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        compute="_compute_retention_account_manager_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        help="Looks after this customer's retention; defaults to the salesperson.",
        groups=INTERNAL_GROUPS,
    )
    retention_referred_by_id = fields.Many2one(
        "res.partner",
        string="Referred By",
        index="btree_not_null",
        copy=False,
        help="The customer who recommended this one.",
        groups=INTERNAL_GROUPS,
    )
    retention_referral_ids = fields.One2many(
        "res.partner",
        "retention_referred_by_id",
        string="Referrals",
        readonly=True,
        groups=INTERNAL_GROUPS,
    )
    retention_referral_count = fields.Integer(
        string="Referrals Made",
        compute="_compute_retention_referral_count",
        groups=INTERNAL_GROUPS,
    )
    retention_health_explanation = fields.Html(
        string="Why this score",
        compute="_compute_retention_health_explanation",
        sanitize=False,  # built here from numbers and escaped labels only
        groups=INTERNAL_GROUPS,
    )
    retention_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_retention_currency_id",
        groups=INTERNAL_GROUPS,
    )
    retention_refresh_pending = fields.Boolean(
        string="Figures Refresh Pending",
        compute="_compute_retention_refresh_pending",
        search="_search_retention_refresh_pending",
        groups=INTERNAL_GROUPS,
        help="Something that moves the figures changed: the customer waits in the refresh "
        "queue of the scheduled job.",
    )
    # The field's name before 18.0.1.3.0: saved filters and API clients may still use it.
    retention_dirty = fields.Boolean(
        related="retention_refresh_pending",
        string="Figures Refresh Pending (former name)",
        help="The former technical name of Figures Refresh Pending "
        "(retention_refresh_pending), kept for saved filters and API clients.",
    )

    def _compute_retention_refresh_pending(self):
        self.env.cr.execute(
            SQL(
                "SELECT partner_id FROM retention_profile_queue WHERE partner_id = ANY(%s)",
                self.ids,
            )
        )
        queued = {row[0] for row in self.env.cr.fetchall()}
        for partner in self:
            partner.retention_refresh_pending = partner.id in queued

    def _search_retention_refresh_pending(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Search on 'Figures Refresh Pending' with = or != only."))
        queued = SQL("(SELECT partner_id FROM retention_profile_queue)")
        wanted = (operator == "=") == bool(value)
        return [("id", "in" if wanted else "not in", queued)]

    @api.depends("user_id")
    def _compute_retention_account_manager_id(self):
        """The default account manager is the salesperson, when it may look after the customer
        (an active internal user, of the customer's company when it has one). Who actually
        looks after a customer in a company is _retention_responsible_users."""
        for partner in self:
            if not partner.retention_account_manager_id:
                salesperson = partner.user_id
                if can_look_after(salesperson.sudo(), partner.company_id or None):
                    partner.retention_account_manager_id = salesperson

    def _retention_responsible_users(self, company=None):
        """Who looks after each of these customers in ``company`` (default: the current one):
        {partner id: res.users, empty when nobody}. The one rule of the module (reviewers,
        follow-up activities for the account manager, detractor alerts, the feedback's account
        manager): the first of the customer's account manager, its salesperson and the
        company's fallback responsible (res.company._retention_fallback_responsible, the
        fallback reviewer of Settings) that is an active internal user allowed in the company.
        Read on the commercial partner, whatever the caller's rights."""
        company = (company or self.env.company).sudo()
        fallback = company._retention_fallback_responsible()
        responsible = {}
        # sudo: account manager and salesperson are read whatever the caller's rights
        for partner in self.sudo():
            customer = partner.commercial_partner_id
            candidates = (customer.retention_account_manager_id, customer.user_id, fallback)
            user = next((u for u in candidates if can_look_after(u, company)), None)
            responsible[partner.id] = (user or self.env["res.users"]).with_env(self.env)
        return responsible

    def _retention_responsible_user(self, company=None):
        """Who looks after this customer in ``company`` (see _retention_responsible_users)."""
        self.ensure_one()
        return self._retention_responsible_users(company)[self.id]

    def _retention_count_target(self):
        """A contact's reviews, follow-ups and feedback are its customer's."""
        self.ensure_one()
        return self.commercial_partner_id

    def _compute_retention_referral_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("retention_referred_by_id", "in", self.ids)],
                ["retention_referred_by_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.retention_referral_count = counts.get(partner._origin, 0)

    @api.depends_context("company")
    def _compute_retention_currency_id(self):
        self.retention_currency_id = self.env.company.currency_id

    @api.depends_context("company", "lang", "uid")
    @api.depends("retention_health_factors", "retention_stage")
    def _compute_retention_health_explanation(self):
        show_money = self.env.su or self.env.user.has_groups(MONEY_GROUPS)
        for partner in self:
            # sudo: the factor data hold the revenue and payment scores; for users without
            # invoicing rights only their weight is shown (see _retention_explanation_html)
            factors = partner.sudo().retention_health_factors
            partner.retention_health_explanation = partner._retention_explanation_html(
                factors, show_money
            )

    @api.constrains("retention_referred_by_id")
    def _check_retention_referred_by_id(self):
        for partner in self:
            referrer = partner.retention_referred_by_id
            if referrer and referrer.commercial_partner_id == partner.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "%(partner)s cannot be referred by itself or one of its own contacts.",
                        partner=partner.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Explanation of the health score
    # ------------------------------------------------------------------
    def _retention_factor_labels(self):
        _ = self.env._
        return {
            "recency": (
                _("Recency of purchase"),
                _("Last invoice against the usual buying rhythm"),
            ),
            "trend": (_("Revenue trend"), _("Last 12 months against the 12 before")),
            "payment": (_("Payment behaviour"), _("Overdue amount and age, credit notes")),
            "engagement": (_("Engagement"), _("Days since the last real contact")),
            "satisfaction": (_("Satisfaction"), _("Latest customer feedback")),
            "delivery": (_("Delivery"), _("Open projects: status updates and overdue tasks")),
        }

    def _retention_explanation_html(self, factors_json, show_money):
        """A table of factors: score, share of the health score, points brought. Without
        ``show_money``, the factors computed from revenue and debts (MONEY_FACTORS) show their
        share only: their score is a revenue ratio or a measure of debts."""
        self.ensure_one()
        try:
            factors = json.loads(factors_json or "{}")
        except ValueError:
            factors = {}
        if not factors:
            return Markup("<p class='text-muted'>%s</p>") % self.env._(
                "No figures yet: the health score appears once the customer has a posted invoice."
            )
        labels = self._retention_factor_labels()
        rows = []
        for name in FACTORS:
            data = factors.get(name) or {}
            label, hint = labels[name]
            if data.get("score") is None or not data.get("share"):
                reason = (
                    self.env._("no data, left out")
                    if data.get("score") is None
                    else self.env._("weight 0, left out")
                )
                rows.append(
                    Markup(
                        "<tr class='text-muted'><td>%s<br/><small>%s</small></td>"
                        "<td colspan='3'>%s</td></tr>"
                    )
                    % (label, hint, reason)
                )
                continue
            if name in MONEY_FACTORS and not show_money:
                rows.append(
                    Markup(
                        "<tr><td>%s<br/><small class='text-muted'>%s</small></td>"
                        "<td class='text-end text-muted' title='%s'>%s</td>"
                        "<td class='text-end'>%s%%</td><td class='text-end text-muted'>-</td></tr>"
                    )
                    % (
                        label,
                        hint,
                        self.env._("Revenue and payment figures need invoicing rights."),
                        self.env._("hidden"),
                        round(data["share"]),
                    )
                )
                continue
            score = data["score"]
            css = (
                "text-success"
                if score >= 70
                else ("text-warning" if score >= 40 else "text-danger")
            )
            rows.append(
                Markup(
                    "<tr><td>%s<br/><small class='text-muted'>%s</small></td>"
                    "<td class='text-end %s'><b>%s</b></td><td class='text-end'>%s%%</td>"
                    "<td class='text-end'>%s</td></tr>"
                )
                % (
                    label,
                    hint,
                    css,
                    score,
                    round(data["share"]),
                    # in the reader's language (decimal comma in Georgian), as amounts are
                    formatLang(self.env, data["points"], digits=1),
                )
            )
        header = Markup(
            "<table class='table table-sm o_retention_factors'><thead><tr><th>%s</th>"
            "<th class='text-end'>%s</th><th class='text-end'>%s</th>"
            "<th class='text-end'>%s</th></tr></thead><tbody>"
        ) % (
            self.env._("Factor"),
            self.env._("Score"),
            self.env._("Weight share"),
            self.env._("Points"),
        )
        table = header + Markup("").join(rows) + Markup("</tbody></table>")
        changed_on = self.env.company.sudo().retention_weights_changed_on
        if changed_on and fields.Datetime.now() - changed_on < WEIGHTS_NOTE_DURATION:
            # a settings change is not a customer getting worse: say why a score moved
            table += Markup("<p class='text-muted small o_retention_weights_changed'>%s</p>") % (
                self.env._(
                    "The health score weights changed on %(date)s: the scores follow the new "
                    "weights, and that change does not count in the health trend.",
                    date=format_date(self.env, changed_on.date()),
                )
            )
        return table

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_retention_recompute(self):
        """Recompute these customers' figures now, in the companies the user works in (the
        scheduled job refreshes every company). Retention users only, a few at a time."""
        if not self.env.su and not self.env.user.has_group(
            "customer_retention.group_retention_user"
        ):
            raise AccessError(
                self.env._("Only Retention users can recompute the figures of a customer.")
            )
        self.check_access("read")
        partners = self.commercial_partner_id
        if len(partners) > RECOMPUTE_LIMIT:
            raise UserError(
                self.env._(
                    "Recompute at most %(limit)s customers at a time (%(count)s selected): the "
                    "scheduled job refreshes the others.",
                    limit=RECOMPUTE_LIMIT,
                    count=len(partners),
                )
            )
        partners.check_access("read")
        self.env["retention.profile.builder"]._compute_partners(
            partners.ids, companies=self.env.companies
        )
        return True

    # ------------------------------------------------------------------
    # The Customers kanban's index
    # ------------------------------------------------------------------
    def init(self):
        super().init()
        self._retention_create_stage_indexes(self.env["res.company"].sudo().search([]))

    @api.model
    def _retention_stage_order_sql(self, company):
        """What a search compares when it filters on the stage in ``company`` (the same SQL
        as BaseModel._condition_to_sql gives for a company-dependent field: the company's
        value of the jsonb column as text), then res.partner's order (_order), as index
        expressions."""
        return [
            SQL("((retention_stage -> %s) ->> 0)", str(company.id)),
            SQL("complete_name"),
            SQL("id DESC"),
        ]

    @api.model
    def _retention_create_stage_indexes(self, companies):
        """An index per company on its stage, then complete_name and id as res.partner sorts:
        each column of the Customers kanban (one search per stage, 40 cards in that order, and
        its count) reads a few index entries instead of filtering every partner on the jsonb
        value (issue #21: 1.8 s for the six columns at 100,000 customers). A company-dependent
        field keeps every company's value in one jsonb column, hence one expression index
        per company, made here for the existing companies and by res.company.create for new
        ones. Dropped with the column when the module is uninstalled. PostgreSQL knows how
        the stages are spread only once the table is analysed with the index: until then it
        guesses one row per stage and keeps scanning every partner, so analyse it now."""
        created = False
        for company in companies:
            name = STAGE_ORDER_INDEX % company.id
            if index_exists(self.env.cr, name):
                continue
            created = True
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX %s ON res_partner (%s)",
                    SQL.identifier(name),
                    SQL(", ").join(self._retention_stage_order_sql(company)),
                )
            )
        if created:
            self.env.cr.execute("ANALYZE res_partner")

    # ------------------------------------------------------------------
    # Fields written by the module only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # an empty value sets nothing: only values given are refused (e.g. by a copy)
            vals_list = [
                self._retention_protected_values(vals, {k for k, v in vals.items() if v})
                for vals in vals_list
            ]
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            vals = self._retention_protected_values(vals, set(vals))
        previous = {}
        if "retention_account_manager_id" in vals:
            # sudo: who looked after the customers before, whatever the writer may read
            previous = {
                partner.id: partner.retention_account_manager_id
                for partner in self.sudo()
                if partner.retention_account_manager_id
                and partner.retention_account_manager_id.id != vals["retention_account_manager_id"]
            }
        result = super().write(vals)
        if previous:
            self.browse(list(previous))._retention_hand_over(previous)
        return result

    def _retention_refresh_soon(self):
        """These customers' figures are refreshed within a minute (issue #17): queued for the
        refresh job (their Figures Refresh Pending shows meanwhile) and the job woken, as
        posting an invoice does. For the events users expect to see at once: a call logged,
        a feedback answer."""
        if not self:
            return
        # sudo: whoever logs a call or answers may queue the customer and wake the job
        self.env["retention.profile.builder"].sudo()._queue_refresh(self.ids)
        cron = self.env.ref(
            "customer_retention.ir_cron_retention_refresh_changed", raise_if_not_found=False
        )
        if cron:
            cron.sudo()._trigger()

    # ------------------------------------------------------------------
    # A new account manager takes over the open retention work (issue #17)
    # ------------------------------------------------------------------
    def _retention_hand_over(self, previous):
        """Move the open retention work of these customers from their previous account manager
        (``previous``: {partner id: res.users}) to whoever now looks after them: the module's
        open activities (follow-ups, detractor alerts, reviews...) assigned to the previous
        one on the customer's records, through _retention_hand_over_work, which each feature
        extends. Said in the customer's chatter."""
        # sudo: the activities of other users on records of the customer are moved whatever
        # the writer may read; the writer may change the customer's account manager
        for partner in self.sudo():
            old = previous[partner.id]
            new = partner._retention_responsible_user() or partner.retention_account_manager_id
            if not new or new == old:
                continue
            moved = partner._retention_hand_over_work(old, new)
            if moved:
                partner.message_post(
                    body=self.env._(
                        "%(count)s open retention activities moved from %(old)s to %(new)s, "
                        "the new account manager.",
                        count=moved,
                        old=old.name,
                        new=new.name,
                    ),
                    message_type="notification",
                    subtype_xmlid="mail.mt_note",
                )

    def _retention_hand_over_work(self, old, new):
        """Move this customer's open retention work from ``old`` to ``new`` (users); returns
        how many activities moved. Here the module's open activities on the records of
        _retention_hand_over_records; features extend it (reviews move their reviewer)."""
        self.ensure_one()
        records = self._retention_hand_over_records()
        terms = [
            ["&", ("res_model", "=", model), ("res_id", "in", list(ids))]
            for model, ids in records.items()
            if ids
        ]
        domain = [("user_id", "=", old.id), ("automated", "=", True)]
        if not terms:
            return 0
        domain += ["|"] * (len(terms) - 1) + [term for group in terms for term in group]
        activities = self.env["mail.activity"].search(domain)
        activities.write({"user_id": new.id})
        return len(activities)

    def _retention_hand_over_records(self):
        """{model: set of ids}: the records of this customer whose open retention activities
        follow its account manager. The customer and its contacts here; features add theirs."""
        self.ensure_one()
        return {"res.partner": set((self | self.child_ids).ids)}

    @api.model
    def _retention_protected_values(self, vals, names):
        """``vals`` without the fields of ``names`` the user may not set: refused with an
        AccessError, or left out under DROP_PROTECTED_KEY."""
        refused = MODULE_FIELDS & names
        by_retention_users = RETENTION_USER_FIELDS & names
        if by_retention_users and self.env.user.has_group(
            "customer_retention.group_retention_user"
        ):
            by_retention_users = set()
        if not (refused or by_retention_users):
            return vals
        if self.env.context.get(DROP_PROTECTED_KEY):
            return {k: v for k, v in vals.items() if k not in refused | by_retention_users}

        def labels(names):
            return ", ".join(
                sorted(self._fields[name]._description_string(self.env) for name in names)
            )

        if refused:
            raise AccessError(
                self.env._(
                    "%(fields)s: retention figures are computed from invoices, projects, "
                    "messages and account reviews, and cannot be set by hand.",
                    fields=labels(refused),
                )
            )
        raise AccessError(
            self.env._(
                "Only Retention users can change %(fields)s.", fields=labels(by_retention_users)
            )
        )

    def action_retention_view_health(self):
        """The Health smart button: the score's breakdown (its factors, their weights and
        points, the trend), in a dialog with *Recompute now* and the invoices."""
        self.ensure_one()
        customer = self.commercial_partner_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Health of %(customer)s", customer=customer.display_name),
            "res_model": "res.partner",
            "res_id": customer.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref("customer_retention.res_partner_view_form_retention_health").id,
                    "form",
                )
            ],
            "target": "new",
        }

    def action_retention_view_invoices(self):
        self.ensure_one()
        return window_action(
            self.env,
            "account.action_move_out_invoice_type",
            [
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                ("company_id", "=", self.env.company.id),
            ],
            {"default_partner_id": self.id, "default_move_type": "out_invoice"},
        )

    def action_retention_view_projects(self):
        self.ensure_one()
        return window_action(
            self.env,
            "project.open_view_project_all",
            [("partner_id", "child_of", self.commercial_partner_id.id)],
            {"default_partner_id": self.id, "active_test": False},
        )

    def action_retention_view_referrals(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Referrals"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("retention_referred_by_id", "=", self.id)],
            "context": {"default_retention_referred_by_id": self.id},
        }
