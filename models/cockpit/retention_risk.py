from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..field_kinds import employee, history_customer, record_company
from ..profile.res_partner import MONEY_GROUPS

RISK_STATES = [
    ("open", "Open"),
    ("plan", "Plan in Place"),
    ("recovered", "Recovered"),
    ("lost", "Lost"),
]
CLOSED_STATES = ("recovered", "lost")
RISK_KINDS = [("risk", "Risk"), ("detractor", "Detractor")]
#: Context key of the module's own transitions (the builder's stage sync): no reason asked.
AUTO_KEY = "retention_risk_auto"
#: Set by the module only: the closing time (the 7-day loop KPI), the revenue a loss cost (the
#: reports by reason), the answer a detractor case came from.
MODULE_FIELDS = ("date_closed", "revenue_lost", "feedback_id")


class RetentionRisk(models.Model):
    """A customer at risk (or an unhappy respondent) someone owns until it is recovered or lost.

    Opened by the shipped follow-up rule "Risk case when a customer turns At Risk" (action type
    "Open a risk case") or by hand; closed as recovered when the customer is Active again and as
    lost when it churns (_sync_with_stages, after each batch of the builder)."""

    _name = "retention.risk"
    _description = "Risk Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, date_next, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = history_customer(tracking=True)
    company_id = record_company()
    user_id = employee("Owner", tracking=True, default=lambda self: self.env.user)
    kind = fields.Selection(RISK_KINDS, required=True, default="risk", tracking=True)
    state = fields.Selection(RISK_STATES, required=True, default="open", tracking=True)
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    reason_id = fields.Many2one("retention.churn.reason", tracking=True)
    date_next = fields.Date(string="Next Step", tracking=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False)
    closed_within_7_days = fields.Boolean(
        compute="_compute_closed_within_7_days",
        store=True,
        help="Closed at most 7 days after it was opened.",
    )
    resolution_note = fields.Text(tracking=True)
    feedback_id = fields.Many2one(
        "retention.feedback", string="Feedback Answer", index="btree_not_null", readonly=True
    )
    save_rate = fields.Float(
        compute="_compute_save_rate",
        store=True,
        aggregator="avg",
        help="100 for a case recovered, 0 for one lost: its average over closed cases is the "
        "save rate.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    revenue_lost = fields.Monetary(
        string="Lost 12-month Revenue",
        readonly=True,
        copy=False,
        help="The customer's revenue of the last 12 months when the case was closed as lost.",
        groups=MONEY_GROUPS,
    )

    @api.depends("partner_id", "kind")
    def _compute_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for case in self:
            case.name = f"{kinds.get(case.kind, '')}: {case.partner_id.display_name or ''}"

    @api.depends("state")
    def _compute_state_sequence(self):
        order = [key for key, _label in RISK_STATES]
        for case in self:
            case.state_sequence = order.index(case.state) if case.state in order else 0

    @api.depends("state")
    def _compute_save_rate(self):
        for case in self:
            case.save_rate = 100.0 if case.state == "recovered" else 0.0

    @api.depends("date_closed", "create_date")
    def _compute_closed_within_7_days(self):
        for case in self:
            case.closed_within_7_days = bool(
                case.date_closed
                and case.create_date
                and case.date_closed - case.create_date <= timedelta(days=7)
            )

    # ------------------------------------------------------------------
    # Transitions
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_module_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_module_fields(vals)
        if vals.get("state") in CLOSED_STATES:
            self._check_can_close(vals)
            vals = {**vals, "date_closed": fields.Datetime.now()}
        elif vals.get("state") in ("open", "plan"):
            vals = {**vals, "date_closed": False}
        result = super().write(vals)
        if vals.get("state") == "lost":
            self._record_loss()
        return result

    def _check_module_fields(self, vals):
        """Users (RPC included) do not write what the module records about a case."""
        written = [name for name in MODULE_FIELDS if name in vals]
        if written and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s of a risk case are recorded by the module and cannot be set.",
                    fields=", ".join(self._fields[name].string for name in written),
                )
            )

    def _check_can_close(self, vals):
        # the automatic closing (stage changes) runs as the superuser; a context key sent by
        # a client does not skip the checks
        if self.env.su and self.env.context.get(AUTO_KEY):
            return
        _ = self.env._
        for case in self:
            if vals["state"] == "lost" and not (vals.get("reason_id") or case.reason_id):
                raise UserError(
                    _(
                        "Choose why %(customer)s was lost (Reason) before closing the case "
                        "as lost.",
                        customer=case.partner_id.display_name,
                    )
                )
            if case.kind == "detractor" and not (
                vals.get("resolution_note") or case.resolution_note
            ):
                raise UserError(
                    _(
                        "Write what was done for %(customer)s (Resolution Note) before closing "
                        "the detractor case.",
                        customer=case.partner_id.display_name,
                    )
                )

    def _record_loss(self):
        """The customer keeps the latest reason; the case keeps its lost 12-month revenue."""
        for case in self.sudo():
            partner = case.partner_id.with_company(case.company_id)
            values = {"revenue_lost": partner.retention_revenue_12m}
            case.write(values)
            if case.reason_id:
                partner.write({"retention_churn_reason_id": case.reason_id.id})

    def action_plan(self):
        self.write({"state": "plan"})

    def action_recovered(self):
        self.write({"state": "recovered"})

    def action_lost(self):
        self.write({"state": "lost"})

    def action_reopen(self):
        self.write({"state": "open"})

    @api.model
    def _open_for(self, partner, company, user=None, kind="risk", **values):
        """The open case of this customer and kind in this company, created when none is."""
        # sudo: opened by the module's jobs for whoever owns it
        cases = self.sudo()
        open_case = cases.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("kind", "=", kind),
                ("state", "not in", CLOSED_STATES),
            ],
            limit=1,
        )
        if open_case and kind == "risk":
            return open_case
        owner = user or partner.with_company(company)._retention_responsible_user(company)
        return cases.create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "user_id": owner.id if owner else False,
                "kind": kind,
                **values,
            }
        )

    @api.model
    def _sync_with_stages(self, partner_ids, companies):
        """Set-based: open risk cases of these customers close as recovered when the customer
        is Active (or Won Back) again in the case's company, and as lost when it churned."""
        cases = self.sudo().search(
            [
                ("partner_id", "in", list(partner_ids)),
                ("company_id", "in", companies.ids),
                ("kind", "=", "risk"),
                ("state", "not in", CLOSED_STATES),
            ]
        )
        if not cases:
            return
        recovered = self.browse()
        lost = self.browse()
        for company, company_cases in cases.grouped("company_id").items():
            for case in company_cases.with_company(company):
                stage = case.partner_id.retention_stage
                if stage in ("active", "won_back"):
                    recovered |= case
                elif stage == "churned":
                    lost |= case
        auto = self.sudo().with_context(**{AUTO_KEY: True})
        auto.browse(recovered.ids).write({"state": "recovered"})
        auto.browse(lost.ids).write({"state": "lost"})

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------
    @api.model
    def _demo_cases(self):
        """Demo: cases in every state for the demo account managers, some overdue; reasons on
        the churned customers (called by demo/retention_cockpit_demo.xml)."""
        company = self.env.ref("base.main_company")
        partners = self.env["res.partner"].with_company(company)
        today = fields.Date.context_today(self)
        reasons = self.env["retention.churn.reason"].search([])
        done = self.search_count([("company_id", "=", company.id), ("kind", "=", "risk")])
        if not reasons or done:
            return
        managed = [("retention_account_manager_id", "!=", False), ("is_company", "=", True)]
        at_risk = partners.search(managed + [("retention_stage", "=", "at_risk")], limit=12)
        churned = partners.search(managed + [("retention_stage", "=", "churned")], limit=9)
        active = partners.search(managed + [("retention_stage", "=", "active")], limit=6)
        cases = self.sudo().with_context(**{AUTO_KEY: True})
        for index, partner in enumerate(at_risk):
            cases.create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "user_id": partner.retention_account_manager_id.id,
                    "state": "plan" if index % 3 == 0 else "open",
                    # every other one overdue
                    "date_next": today + timedelta(days=-3 if index % 2 else 4),
                    "reason_id": reasons[index % len(reasons)].id if index % 3 == 0 else False,
                }
            )
        for index, partner in enumerate(churned):
            case = cases.create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "user_id": partner.retention_account_manager_id.id,
                    "reason_id": reasons[index % len(reasons)].id,
                }
            )
            case.write({"state": "lost"})
        for partner in active:
            case = cases.create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "user_id": partner.retention_account_manager_id.id,
                    "resolution_note": "Monthly check-in agreed; the project is back on track.",
                }
            )
            case.write({"state": "recovered"})
