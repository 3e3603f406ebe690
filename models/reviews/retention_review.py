import logging
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from datetime import time as dtime

from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from psycopg2 import errors as pgerrors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, mute_logger, split_every

from ...engine import feedback as feedback_engine
from ...engine import reviews as engine
from ..field_kinds import employee, history_customer, record_company
from ..profile.res_partner import MONEY_GROUPS, RETENTION_STAGES
from .retention_followup_rule import REVIEW_OUTCOME
from .retention_review_goal import GOAL_STATES

_logger = logging.getLogger(__name__)

ACTIVITY_TYPE_XMLID = "customer_retention.mail_activity_type_account_review"
DIGEST_TEMPLATE = "customer_retention.retention_review_digest"

REVIEW_STATES = [("planned", "Planned"), ("done", "Done"), ("cancelled", "Cancelled")]
OUTCOMES = [
    ("renew", "Renew"),
    ("expand", "Expand"),
    ("maintain", "Maintain"),
    ("at_risk", "At Risk"),
    ("lost", "Lost"),
]
#: Outcomes that call for follow-up steps (see _retention_on_review_outcome).
FOLLOW_UP_OUTCOMES = ("renew", "expand")

#: Set by the Complete and Cancel buttons and the planning job only, never written by users.
WORKFLOW_FIELDS = frozenset(
    [
        "state",
        "date_done",
        "health_score_snapshot",
        "stage_snapshot",
        "revenue_12m_snapshot",
        "digest_pending",
    ]
)
#: What a done or cancelled review keeps as history (its notes can still be added to).
CLOSED_FIELDS = frozenset(
    ["partner_id", "company_id", "date_planned", "user_id", "outcome", "lost_reason"]
)

#: The review pack: the customer's version and the team's (internal figures) as reports.
PACK_REPORT_XMLID = "customer_retention.retention_review_pack_report"
PACK_INTERNAL_REPORT_XMLID = "customer_retention.retention_review_pack_internal_report"
PACK_TEMPLATE_XMLID = "customer_retention.retention_review_pack_mail_template"
#: Months of invoices the pack charts, up to the review's month.
PACK_MONTHS = 12

PLANNING_BATCH_SIZE = 200  # reviews created per committed batch
ASSIGN_BATCH_SIZE = 2000  # customers given a next review date per committed batch

#: The planning job creates many reviews at once: no "created" note or subscription of the
#: job's user per review, and no message per activity or assignment (the digest tells).
PLANNING_CONTEXT = {
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_activity_quick_update": True,
    "mail_auto_subscribe_no_notify": True,
}


class RetentionReview(models.Model):
    """A regular look at one customer's account, in one company.

    A daily job plans the reviews coming due from each customer's cadence: a planned review,
    an "Account review" activity for the reviewer and one digest per reviewer. A partial
    unique index keeps a single planned review per customer and company, so a rerun or a
    second worker adds nothing. Completing a review records the customer's figures at that
    moment, closes the activity and sets the date of the next review from the cadence.
    """

    _name = "retention.review"
    _description = "Account Review"
    _inherit = ["mail.thread", "mail.activity.mixin", "retention.job.mixin"]
    _order = "date_planned desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id"]

    # a customer with reviews is archived (res.partner._unlink_except_reviewed says so first)
    partner_id = history_customer(tracking=True)
    company_id = record_company()
    user_id = employee(
        "Reviewer",
        "Who reviews the account: the customer's account manager, else its salesperson, "
        "else the fallback reviewer of the company.",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        check_company=True,
    )
    date_planned = fields.Date(
        string="Planned Date",
        required=True,
        index=True,
        tracking=True,
        default=fields.Date.context_today,
    )
    date_done = fields.Date(string="Done On", readonly=True, copy=False)
    state = fields.Selection(
        REVIEW_STATES,
        string="Status",
        required=True,
        default="planned",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        group_expand=True,
    )
    outcome = fields.Selection(
        OUTCOMES,
        tracking=True,
        copy=False,
        help="Renew or Expand: the customer is set to buy again or more. Maintain: nothing to "
        "change. At Risk: the account manager gets a task to act. Lost: the customer counts as "
        "churned until invoiced again.",
    )
    lost_reason = fields.Char(copy=False, help="Why the customer is lost; kept on the customer.")
    is_overdue = fields.Boolean(
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Planned, and the planned date has passed.",
    )
    notes = fields.Html()
    next_steps = fields.Html(string="Agreed Next Steps")
    # The customer's figures when the review was completed, in the review's company.
    health_score_snapshot = fields.Integer(
        string="Health Score at Review", readonly=True, copy=False, aggregator="avg"
    )
    stage_snapshot = fields.Selection(
        RETENTION_STAGES, string="Stage at Review", readonly=True, copy=False
    )
    revenue_12m_snapshot = fields.Float(
        string="Revenue (12 months) at Review",
        readonly=True,
        copy=False,
        digits="Account",
        groups=MONEY_GROUPS,
        help="In the company's currency.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    # Planned by the daily job and not yet listed in a digest to the reviewer.
    digest_pending = fields.Boolean(copy=False, readonly=True, index="btree_not_null")
    goal_ids = fields.One2many(
        "retention.review.goal",
        "review_id",
        string="Goals and Commitments",
        copy=False,
        help="What was agreed, by whom and by when. Completing the review carries the open "
        "ones to the customer's next review.",
    )

    def init(self):
        # One open review per customer and company, enforced by the database so two workers
        # planning at the same time cannot both insert one.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS retention_review_open_unique
                ON retention_review (partner_id, company_id) WHERE state = 'planned'
            """
        )

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------
    @api.depends("partner_id", "company_id")
    def _compute_user_id(self):
        for review in self.filtered("partner_id"):
            reviewer = review.partner_id._retention_responsible_user(review.company_id)
            review.user_id = reviewer or review.user_id

    @api.depends("state", "date_planned")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for review in self:
            review.is_overdue = engine.is_overdue(review.state, review.date_planned, today)

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        overdue = [
            ("state", "=", "planned"),
            ("date_planned", "<", fields.Date.context_today(self)),
        ]
        return overdue if (operator == "=") == value else ["!", "&", *overdue]

    @api.depends("partner_id", "date_planned")
    def _compute_display_name(self):
        for review in self:
            if review.partner_id and review.date_planned:
                review.display_name = self.env._(
                    "%(customer)s review, %(date)s",
                    customer=review.partner_id.name,
                    date=format_date(self.env, review.date_planned),
                )
            else:
                review.display_name = self.env._("New review")

    @api.constrains("partner_id")
    def _check_partner_id(self):
        for review in self:
            if review.partner_id != review.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Reviews are about the customer as a whole: review %(company)s rather "
                        "than its contact %(contact)s.",
                        company=review.partner_id.commercial_partner_id.display_name,
                        contact=review.partner_id.display_name,
                    )
                )

    @api.constrains("user_id")
    def _check_user_id(self):
        for review in self:
            if review.user_id.share:
                raise ValidationError(
                    self.env._(
                        "The reviewer must be an internal user: %(user)s is a portal or public "
                        "user.",
                        user=review.user_id.name,
                    )
                )

    @api.constrains("date_planned", "company_id")
    def _check_date_planned(self):
        for review in self.filtered(lambda r: r.state == "planned"):
            lock_date = review.company_id._retention_review_lock_date()
            if lock_date and review.date_planned <= lock_date:
                raise ValidationError(
                    self.env._(
                        "A review cannot be planned on %(date)s: the period up to %(lock)s is "
                        "closed in %(company)s. Plan it after that date.",
                        date=format_date(self.env, review.date_planned),
                        lock=format_date(self.env, lock_date),
                        company=review.company_id.name,
                    )
                )

    @api.model
    def _check_no_open_review(self, pairs, exclude_ids=()):
        """Refuse a second planned review of a customer in a company with a clear message,
        before the database's unique index refuses it (which stays the guarantee when two
        transactions race)."""
        pairs = list(pairs)
        if not pairs:
            return
        seen = set()
        for pair in pairs:
            if pair in seen:
                self._raise_open_review(*pair)
            seen.add(pair)
        # sudo: the open review of another company or user must block a duplicate too
        existing = self.sudo().search(
            [
                ("state", "=", "planned"),
                ("partner_id", "in", [partner_id for partner_id, _company_id in pairs]),
                ("company_id", "in", [company_id for _partner_id, company_id in pairs]),
                ("id", "not in", list(exclude_ids)),
            ]
        )
        for review in existing:
            if (review.partner_id.id, review.company_id.id) in seen:
                self._raise_open_review(review.partner_id.id, review.company_id.id, review)

    @api.model
    def _raise_open_review(self, partner_id, company_id, review=None):
        # the message names only what the user reads (the open review may have been found by
        # the superuser; users create reviews of customers they read, in their companies)
        partner = self.env["res.partner"].browse(partner_id)
        company = self.env["res.company"].browse(company_id)
        if not (partner.has_access("read") and company.has_access("read")):
            raise ValidationError(
                self.env._(
                    "This customer already has a review planned in that company: complete or "
                    "cancel it before planning another one."
                )
            )
        if review and review.with_env(self.env).has_access("read"):
            message = self.env._(
                "%(customer)s already has a review planned on %(date)s in %(company)s: complete "
                "or cancel it before planning another one.",
                customer=partner.display_name,
                date=format_date(self.env, review.date_planned),
                company=company.name,
            )
        else:
            message = self.env._(
                "Only one review of %(customer)s can be planned at a time in %(company)s.",
                customer=partner.display_name,
                company=company.name,
            )
        raise ValidationError(message)

    # ------------------------------------------------------------------
    # CRUD: the activity and the customer's next date follow the planned review
    # ------------------------------------------------------------------
    @api.model
    def _check_user_values(self, vals_list):
        """What users may create: reviews in their companies, of customers they read, without
        the fields the workflow sets (checked before anything is looked up as superuser)."""
        self.check_access("create")
        for vals in vals_list:
            forged = {
                name
                for name in WORKFLOW_FIELDS & vals.keys()
                if vals[name] and not (name == "state" and vals[name] == "planned")
            }
            if forged:
                self._raise_workflow_fields(forged)
            self._check_company_allowed(vals.get("company_id") or self.env.company.id)
        partner_ids = {vals["partner_id"] for vals in vals_list if vals.get("partner_id")}
        self.env["res.partner"].browse(partner_ids).check_access("read")

    @api.model
    def _check_company_allowed(self, company_id):
        if company_id not in self.env.companies.ids:
            raise AccessError(
                self.env._(
                    "A review belongs to one of your companies: %(companies)s.",
                    companies=", ".join(self.env.companies.mapped("name")),
                )
            )

    def _raise_workflow_fields(self, names):
        labels = sorted(self._fields[name]._description_string(self.env) for name in names)
        raise AccessError(
            self.env._(
                "%(fields)s: set by completing or cancelling the review, not by hand.",
                fields=", ".join(labels),
            )
        )

    def _check_user_write(self, vals):
        """What users may change: nothing the workflow sets; the company among theirs; the
        customer and company of a saved review never; nothing but notes once it is closed."""
        self.check_access("write")
        if WORKFLOW_FIELDS & vals.keys():
            self._raise_workflow_fields(WORKFLOW_FIELDS & vals.keys())
        if "company_id" in vals:
            self._check_company_allowed(vals["company_id"])
        if "partner_id" in vals:
            self.env["res.partner"].browse(vals["partner_id"]).check_access("read")
        states = dict(self._fields["state"]._description_selection(self.env))
        for review in self:
            if review.state != "planned" and CLOSED_FIELDS & vals.keys():
                raise UserError(
                    self.env._(
                        "%(review)s is %(state)s: its customer, dates, reviewer and outcome are "
                        "history. Add to its notes instead.",
                        review=review.display_name,
                        state=states[review.state],
                    )
                )
            if (
                vals.get("partner_id", review.partner_id.id) != review.partner_id.id
                or vals.get("company_id", review.company_id.id) != review.company_id.id
            ):
                raise UserError(
                    self.env._(
                        "The customer and company of a saved review do not change: cancel "
                        "%(review)s and plan a new review instead.",
                        review=review.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_user_values(vals_list)
        self._check_no_open_review(
            (vals.get("partner_id"), vals.get("company_id") or self.env.company.id)
            for vals in vals_list
            if vals.get("state", "planned") == "planned" and vals.get("partner_id")
        )
        reviews = super().create(vals_list)
        planned = reviews.filtered(lambda r: r.state == "planned")
        planned._create_review_activities()
        planned._sync_partner_next_date()
        planned._carry_open_goals()
        return reviews

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
        if {"partner_id", "company_id", "state"} & vals.keys():
            pairs = [
                (
                    vals.get("partner_id", review.partner_id.id),
                    vals.get("company_id", review.company_id.id),
                )
                for review in self
                if vals.get("state", review.state) == "planned"
            ]
            self._check_no_open_review(pairs, exclude_ids=self.ids)
        result = super().write(vals)
        if {"date_planned", "user_id"} & vals.keys():
            planned = self.filtered(lambda r: r.state == "planned")
            planned._update_review_activities()
            if "date_planned" in vals:
                planned._sync_partner_next_date()
        return result

    def _create_review_activities(self):
        """An "Account review" activity for the reviewer, due on the planned date."""
        for review in self.filtered("user_id"):
            review.activity_schedule(
                ACTIVITY_TYPE_XMLID,
                date_deadline=review.date_planned,
                user_id=review.user_id.id,
            )

    def _update_review_activities(self):
        """Move the open activity with the review's date and reviewer (or create it)."""
        for review in self:
            activities = review.activity_search([ACTIVITY_TYPE_XMLID])
            if not review.user_id:
                activities.unlink()
            elif activities:
                activities.write(
                    {"date_deadline": review.date_planned, "user_id": review.user_id.id}
                )
            else:
                review._create_review_activities()

    def _sync_partner_next_date(self):
        """While a review is planned, the customer's next review date is its planned date."""
        by_company_date = defaultdict(list)
        for review in self:
            by_company_date[(review.company_id, review.date_planned)].append(review.partner_id.id)
        for (company, day), partner_ids in by_company_date.items():
            # sudo: reviewers may lack contact-creation rights; only the next review date is written
            partners = self.env["res.partner"].sudo().with_company(company).browse(partner_ids)
            # write only what differs: no needless update of the customer's row
            partners.filtered(lambda p, day=day: p.retention_next_review_date != day).write(
                {"retention_next_review_date": day}
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_complete_wizard(self):
        """The Complete button: outcome, notes and next steps in a small dialog."""
        self.ensure_one()
        self.check_access("write")
        self._check_planned()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Complete the Review"),
            "res_model": "retention.review.complete",
            "view_mode": "form",
            "target": "new",
            "context": {"default_review_id": self.id},
        }

    def action_complete(self):
        """Close planned reviews with the outcome set on them: record the customer's figures,
        mark the activity done, set the next review date from the cadence and apply what the
        outcome means for the customer."""
        return self._complete(fields.Date.context_today(self))

    def _complete(self, day):
        """Complete these reviews as done on ``day``: today for the Complete button; the demo
        data passes earlier days to build a year of reviews through this same workflow.
        Private (not callable over RPC): users cannot choose the done date."""
        self.check_access("write")
        self._check_completable()
        for review in self:
            # sudo: the status and the snapshot are the workflow's (refused to users' writes),
            # and the revenue snapshot is a field some reviewers may not see
            review.sudo().write({"state": "done", "date_done": day, **review._snapshot_values()})
            review.activity_feedback(
                [ACTIVITY_TYPE_XMLID],
                feedback=self.env._(
                    "Outcome: %(outcome)s", outcome=review._outcome_label(review.outcome)
                ),
            )
        self._schedule_next_reviews()
        self._apply_outcomes()
        self._next_planned_reviews()._carry_open_goals()
        return True

    def action_cancel(self):
        """Cancel planned reviews: their activities go, and the customer's next review moves
        one cadence on, so the daily job does not plan the same review again."""
        self.check_access("write")
        self._check_planned(cancelling=True)
        self.activity_unlink([ACTIVITY_TYPE_XMLID])
        # sudo: the status is the workflow's, refused to users' writes
        self.sudo().write({"state": "cancelled"})
        self._drop_carried_copies()
        today = fields.Date.context_today(self)
        for review in self:
            # sudo: the customer's cadence and dates are the review's to read and update
            partner = review.partner_id.sudo().with_company(review.company_id)
            cadence = review._cadence(partner)
            next_date = engine.next_review_date(
                cadence, review.date_planned, not_before=today + timedelta(days=1)
            )
            partner.write({"retention_next_review_date": next_date or False})
        return True

    def _check_planned(self, cancelling=False):
        states = dict(self._fields["state"]._description_selection(self.env))
        for review in self.filtered(lambda r: r.state != "planned"):
            if cancelling:
                message = self.env._(
                    "Only planned reviews can be cancelled: %(review)s is %(state)s.",
                    review=review.display_name,
                    state=states[review.state],
                )
            else:
                message = self.env._(
                    "Only planned reviews can be completed: %(review)s is %(state)s.",
                    review=review.display_name,
                    state=states[review.state],
                )
            raise UserError(message)

    def _check_completable(self):
        self._check_planned()
        for review in self:
            if not review.outcome:
                raise UserError(
                    self.env._(
                        "Choose the outcome of the review of %(customer)s before completing "
                        "it: renew, expand, maintain, at risk or lost.",
                        customer=review.partner_id.display_name,
                    )
                )
            if review.outcome == "lost" and not (review.lost_reason or "").strip():
                raise UserError(
                    self.env._(
                        "Say why %(customer)s is lost: the reason is kept on the customer.",
                        customer=review.partner_id.display_name,
                    )
                )

    def _outcome_label(self, outcome):
        return dict(self._fields["outcome"]._description_selection(self.env)).get(outcome, "")

    def _snapshot_values(self):
        """The customer's health score, stage and 12-month revenue now, in the review's
        company (read as superuser: revenue is hidden from some reviewers)."""
        self.ensure_one()
        partner = self.partner_id.sudo().with_company(self.company_id)
        return {
            "health_score_snapshot": partner.retention_health_score,
            "stage_snapshot": partner.retention_stage,
            "revenue_12m_snapshot": partner.retention_revenue_12m,
        }

    def _cadence(self, partner, stage=None):
        """The cadence of this review's customer (``partner`` read in the review's company)."""
        self.ensure_one()
        return self.company_id._retention_review_cadence(
            partner.retention_review_cadence, stage or partner.retention_stage
        )

    def _schedule_next_reviews(self):
        """Next review one cadence after the done date; a customer judged at risk gets the
        at-risk cadence, a lost customer none."""
        for review in self:
            # sudo: the customer's cadence and dates are the review's to read and update
            partner = review.partner_id.sudo().with_company(review.company_id)
            next_date = None
            if review.outcome != "lost":
                stage = "at_risk" if review.outcome == "at_risk" else None
                next_date = engine.next_review_date(
                    review._cadence(partner, stage), review.date_done
                )
            partner.write({"retention_next_review_date": next_date or False})

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------
    def _apply_outcomes(self):
        self.filtered(lambda r: r.outcome == "at_risk")._retention_raise_attention()
        self.filtered(lambda r: r.outcome == "lost")._retention_mark_lost()
        follow_up = self.filtered(lambda r: r.outcome in FOLLOW_UP_OUTCOMES)
        if follow_up:
            follow_up._retention_on_review_outcome()
        # the follow-up rules on review outcomes (renew, expand, at risk) start at once
        self.env["retention.followup.rule"]._fire_trigger(REVIEW_OUTCOME.key, self.company_id)

    def _retention_raise_attention(self):
        """A task for the account manager (else the reviewer) on the customer, due the day the
        review was done, and a note."""
        for review in self:
            # sudo: the account manager may not be the reviewer; the note is the review's
            partner = review.partner_id.sudo()
            owner = partner._retention_responsible_user(review.company_id) or review.user_id
            partner.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=review.date_done,
                summary=self.env._("Account review flagged this customer at risk"),
                note=review.next_steps or "",
                user_id=owner.id or self.env.uid,
            )
            partner.message_post(
                body=Markup("%s<br/>%s")
                % (
                    self.env._(
                        "The account review of %(date)s flagged this customer at risk.",
                        date=format_date(self.env, review.date_done),
                    ),
                    review._get_html_link(title=review.display_name),
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _retention_mark_lost(self):
        """The customer counts as churned from the review date until invoiced again."""
        for review in self:
            # sudo: the customer's cadence and dates are the review's to read and update
            partner = review.partner_id.sudo().with_company(review.company_id)
            partner.write(
                {
                    "retention_lost_date": review.date_done,
                    "retention_lost_reason": review.lost_reason.strip(),
                }
            )
            partner.message_post(
                body=Markup("%s<br/>%s")
                % (
                    self.env._(
                        "Marked lost by the account review of %(date)s: %(reason)s",
                        date=format_date(self.env, review.date_done),
                        reason=review.lost_reason.strip(),
                    ),
                    review._get_html_link(title=review.display_name),
                ),
                subtype_xmlid="mail.mt_note",
            )
        # sudo: the figures of every company are refreshed, as the refresh job does
        self.env["retention.profile.builder"].sudo()._compute_partners(self.partner_id.ids)

    def _retention_on_review_outcome(self):
        """Called with the reviews just completed with an outcome that calls for follow-up
        steps (renew, expand; FOLLOW_UP_OUTCOMES): a note on the customer with the outcome and
        the agreed next steps. (The follow-up rules waiting for an outcome are started by
        _apply_outcomes, for every outcome.)"""
        for review in self:
            body = self.env._(
                "Account review of %(date)s: %(outcome)s.",
                date=format_date(self.env, review.date_done),
                outcome=self._outcome_label(review.outcome),
            )
            if review.next_steps:
                body = Markup("%s<br/>%s %s") % (
                    body,
                    self.env._("Agreed next steps:"),
                    review.next_steps,
                )
            # sudo: reviewers without contact rights still leave the review's note on the customer
            review.partner_id.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------
    # Goals and commitments: carried from one review to the next
    # ------------------------------------------------------------------
    def _check_goals_editable(self):
        """Goals are agreed while the review is planned; a closed review keeps them as they
        stood (only their notes change), its open ones live on as copies on the next review."""
        states = dict(self._fields["state"]._description_selection(self.env))
        for review in self.filtered(lambda r: r.state != "planned"):
            raise UserError(
                self.env._(
                    "%(review)s is %(state)s: its goals are history, kept as they stood. "
                    "Update them on the customer's next review, where the open ones are carried.",
                    review=review.display_name,
                    state=states[review.state],
                )
            )

    def _next_planned_reviews(self):
        """The planned reviews of the customers of these reviews, in their companies."""
        if not self:
            return self.browse()
        # sudo: the next review may be another reviewer's
        return self.sudo().search(
            [
                ("state", "=", "planned"),
                ("partner_id", "in", self.partner_id.ids),
                ("company_id", "in", self.company_id.ids),
                ("id", "not in", self.ids),
            ]
        )

    def _carry_open_goals(self):
        """Copy onto these planned reviews the goals still open on the customer's last done
        review in the same company (each goal once: the copy points at its original)."""
        planned = self.filtered(lambda r: r.state == "planned")
        if not planned:
            return
        # sudo: the last review may be another reviewer's; the copies are the workflow's
        Review = self.sudo()
        last_done = {
            (partner.id, company.id): day
            for partner, company, day in Review._read_group(
                [
                    ("state", "=", "done"),
                    ("partner_id", "in", planned.partner_id.ids),
                    ("company_id", "in", planned.company_id.ids),
                ],
                ["partner_id", "company_id"],
                ["date_done:max"],
            )
        }
        if not last_done:
            return
        open_goals = (
            self.env["retention.review.goal"]
            .sudo()
            .search(
                [
                    ("state", "=", "open"),
                    ("review_id.state", "=", "done"),
                    ("review_id.partner_id", "in", planned.partner_id.ids),
                    ("review_id.company_id", "in", planned.company_id.ids),
                ]
            )
        )
        carried = set(
            self.env["retention.review.goal"]
            .sudo()
            .search([("carried_from_id", "in", open_goals.ids)])
            .carried_from_id.ids
        )
        values = []
        for review in planned:
            key = (review.partner_id.id, review.company_id.id)
            if key not in last_done:
                continue
            sources = open_goals.filtered(
                lambda g, key=key: (
                    (g.review_id.partner_id.id, g.review_id.company_id.id) == key
                    and g.review_id.date_done == last_done[key]
                    and g.id not in carried
                )
            )
            values += [goal._carry_values(review) for goal in sources]
        if values:
            self.env["retention.review.goal"].sudo().create(values)

    def _drop_carried_copies(self):
        """A cancelled review gives back the carried goals still open on it: the originals
        are carried again to the customer's next review."""
        self.env["retention.review.goal"].sudo().search(
            [
                ("review_id", "in", self.ids),
                ("carried_from_id", "!=", False),
                ("state", "=", "open"),
            ]
        ).unlink()

    # ------------------------------------------------------------------
    # The review pack: a PDF for the customer (and one for the team)
    # ------------------------------------------------------------------
    def _pack_reference_date(self):
        self.ensure_one()
        return self.date_done or self.date_planned or fields.Date.context_today(self)

    def _pack_months(self):
        """The first days of the PACK_MONTHS months up to the review's month."""
        last = self._pack_reference_date().replace(day=1)
        return [last - relativedelta(months=n) for n in range(PACK_MONTHS - 1, -1, -1)]

    def _pack_show_money(self):
        """Money (invoiced, overdue) only for users who see it elsewhere in the module."""
        return self.env.su or self.env.user.has_groups(MONEY_GROUPS)

    def _pack_data(self):
        """What the pack shows of each review, gathered set-wise (a few grouped queries for
        all the reviews): {review id: {...}}. Invoiced and overdue amounts only for users who
        may see money (MONEY_GROUPS); NPS and CSAT by engine.feedback."""
        result = {}
        if not self:
            return result
        show_money = self._pack_show_money()
        periods = {review.id: review._pack_months() for review in self}
        start = min(months[0] for months in periods.values())
        end = max(months[-1] for months in periods.values()) + relativedelta(months=1)
        partners, companies = self.partner_id, self.company_id
        # sudo: the figures are read by the pack's rules (money only when show_money)
        invoiced = defaultdict(float)
        if show_money:
            for partner, company, month, amount in (
                self.env["account.move"]
                .sudo()
                ._read_group(
                    [
                        ("commercial_partner_id", "in", partners.ids),
                        ("company_id", "in", companies.ids),
                        ("move_type", "in", ("out_invoice", "out_refund")),
                        ("state", "=", "posted"),
                        ("invoice_date", ">=", start),
                        ("invoice_date", "<", end),
                    ],
                    ["commercial_partner_id", "company_id", "invoice_date:month"],
                    ["amount_untaxed_signed:sum"],
                )
            ):
                invoiced[(partner.id, company.id, month)] += amount
        projects = (
            self.env["project.project"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch(
                # projects without company count in every company (as the health score's)
                [
                    ("partner_id", "child_of", partners.ids),
                    ("company_id", "in", [*companies.ids, False]),
                ],
                [
                    "name",
                    "partner_id",
                    "company_id",
                    "active",
                    "retention_is_closed",
                    "retention_date_closed",
                    "last_update_status",
                    "date",
                ],
                order="name, id",
            )
        )
        tasks = (
            self.env["project.task"]
            .sudo()
            .search_fetch(
                [
                    ("project_id", "in", projects.ids),
                    ("date_deadline", ">=", datetime.combine(start, dtime.min)),
                    ("date_deadline", "<", datetime.combine(end, dtime.min)),
                ],
                ["project_id", "date_deadline", "state", "date_end", "date_last_stage_update"],
            )
        )
        status_labels = dict(
            self.env["project.project"]
            ._fields["last_update_status"]
            ._description_selection(self.env)
        )
        goal_states = dict(GOAL_STATES)
        goal_state_labels = dict(
            self.env["retention.review.goal"]._fields["state"]._description_selection(self.env)
        )
        side_labels = dict(
            self.env["retention.review.goal"]._fields["owner_side"]._description_selection(self.env)
        )
        now = fields.Datetime.now()
        feedback = self._pack_feedback(
            {
                review.id: (
                    datetime.combine(periods[review.id][0], dtime.min),
                    datetime.combine(periods[review.id][-1] + relativedelta(months=1), dtime.min),
                )
                for review in self
            }
        )
        for review in self:
            months = periods[review.id]
            period_start = datetime.combine(months[0], dtime.min)
            period_end = datetime.combine(months[-1] + relativedelta(months=1), dtime.min)
            key = (review.partner_id.id, review.company_id.id)
            bars = [
                {
                    "month": month,
                    "label": format_date(self.env, month, date_format="MMM yy"),
                    "amount": invoiced.get((*key, month), 0.0),
                }
                for month in months
            ]
            top = max([bar["amount"] for bar in bars] + [0.0])
            for bar in bars:
                bar["height"] = round(100 * max(bar["amount"], 0.0) / top) if top > 0 else 0
            mine = projects.filtered(
                lambda p, key=key: (
                    p.partner_id.commercial_partner_id.id == key[0]
                    and p.company_id.id in (key[1], False)
                )
            )
            delivered = mine.filtered(
                lambda p, s=period_start, e=period_end: (
                    p.retention_is_closed
                    and p.retention_date_closed
                    and s <= datetime.combine(p.retention_date_closed, dtime.min) < e
                )
            )
            still_open = mine.filtered(lambda p: p.active and not p.retention_is_closed)
            due_until = min(period_end, now)
            due_tasks = tasks.filtered(
                lambda t, mine=mine, s=period_start, e=due_until: (
                    t.project_id in mine and s <= t.date_deadline < e
                )
            )
            on_time = due_tasks.filtered(
                lambda t: (
                    t.state == "1_done"
                    and (t.date_end or t.date_last_stage_update or now) <= t.date_deadline
                )
            )
            answers = feedback.get(review.id, [])
            partner = review.partner_id.sudo().with_company(review.company_id)
            carried = review.goal_ids.filtered("carried_from_id")
            result[review.id] = {
                "months": bars,
                "period_start": months[0],
                "period_end": months[-1] + relativedelta(months=1, days=-1),
                "show_money": show_money,
                "invoiced_total": sum(bar["amount"] for bar in bars),
                "overdue_amount": partner.retention_overdue_amount if show_money else 0.0,
                "overdue_days": partner.retention_overdue_days if show_money else 0,
                "currency": review.company_id.currency_id,
                "projects_delivered": [
                    {"name": p.name, "date": p.retention_date_closed} for p in delivered
                ],
                "projects_open": [
                    {
                        "name": p.name,
                        "status": (
                            status_labels.get(p.last_update_status, "")
                            if p.last_update_status != "to_define"
                            else ""
                        ),
                        "date": p.date,
                    }
                    for p in still_open
                ],
                "tasks_due": len(due_tasks),
                "tasks_on_time": len(on_time),
                "on_time_share": (
                    round(100.0 * len(on_time) / len(due_tasks)) if due_tasks else None
                ),
                "feedback": answers,
                "nps": feedback_engine.nps(
                    [a["score"] for a in answers if a["kind"] == feedback_engine.NPS]
                ),
                "csat": feedback_engine.csat(
                    [a["score"] for a in answers if a["kind"] == feedback_engine.CSAT]
                ),
                "goals_carried": [
                    review._pack_goal(g, goal_state_labels, side_labels) for g in carried
                ],
                "goals_new": [
                    review._pack_goal(g, goal_state_labels, side_labels)
                    for g in review.goal_ids - carried
                ],
                "goal_states": goal_states,
            }
        return result

    def _pack_feedback(self, bounds):
        """Hook (overridden by feedback): the customers' answers in each review's period,
        ``bounds`` {review id: (start, end)} -> {review id: [{date, kind, score, comment}]},
        newest first. Reviews come before feedback: none here."""
        return {}

    def _pack_goal(self, goal, state_labels, side_labels):
        owner = goal.user_id.name if goal.owner_side == "ours" else goal.contact_id.name
        return {
            "description": goal.description,
            "side": side_labels.get(goal.owner_side, ""),
            "owner": owner or "",
            "date_due": goal.date_due,
            "state": goal.state,
            "state_label": state_labels.get(goal.state, ""),
            "note": goal.note or "",
            "from_date": goal.carried_from_id.review_id.date_done,
        }

    def _pack_filename(self):
        self.ensure_one()
        return self.env._(
            "Review pack - %(customer)s - %(date)s",
            customer=self.partner_id.name,
            date=self._pack_reference_date().isoformat(),
        )

    def action_print_pack(self):
        """The Print button: the customer's pack as a PDF download, logged on the review."""
        self.check_access("read")
        for review in self:
            review.message_post(
                body=self.env._("Review pack printed by %(user)s.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return self.env.ref(PACK_REPORT_XMLID).report_action(self)

    def action_send_pack(self):
        """The Send pack button: the mail composer with the pack attached, from the template
        in the customer's language; the sent message is logged on the review."""
        self.ensure_one()
        self.check_access("read")
        template = self.env.ref(PACK_TEMPLATE_XMLID, raise_if_not_found=False)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send the Review Pack"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id if template else False,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    # ------------------------------------------------------------------
    # Daily planning
    # ------------------------------------------------------------------
    @api.model
    def _cron_plan_reviews(self):
        """Daily: plan the reviews coming due (a review and an activity for the reviewer),
        give customers without a next review date one from their cadence and plan those of
        them that fall due, then send each reviewer one digest of their new reviews. All are
        batches committed (outside tests) within the time budget, progress reported
        (retention.job.mixin), so a crash or a timeout resumes where it stopped: a call never
        spends more than its budget giving dates (the first run on a large database gives
        every customer one; in one unbounded step it outlasted a cron worker's limit in the
        load test). Reviews already due come first: on that first run, giving 76,000 dates
        took a day's calls before the account managers' reviews were planned (load test,
        issue #21)."""
        # sudo: planning works for every company and reviewer, whoever runs the job
        planner = self.sudo().with_context(**PLANNING_CONTEXT)
        started = time.monotonic()
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].sudo().search([("active", "=", True)])
        # the reviews coming due, customers without a next review date in batches, then the
        # reviews coming due among them; all within the time budget: what it leaves is the
        # remainder, for the next call
        to_assign = deque(
            (company, batch)
            for company in companies
            for batch in planner._customers_without_review_date_batches(company)
        )
        work = deque()
        # listings of the due customers still to make: before giving dates and after
        listings = {"left": 2 if to_assign else 1}

        def plan_due():
            listings["left"] -= 1
            # (company, lock date, customers) per batch
            work.extend(planner._due_review_batches(companies, today))
            yield from planner._plan_review_batches(work)

        def batches():
            yield from plan_due()
            while to_assign:
                company, partners = to_assign.popleft()
                yield planner._assign_next_review_dates_batch(company, partners, today)
            if listings["left"]:
                yield from plan_due()

        def remaining():
            assigning = sum(len(partners) for _company, partners in to_assign)
            planning = sum(len(partners) for _company, _lock, partners in work)
            # a listing still to make counts as one unit at least
            return assigning + planning + listings["left"]

        done, left = planner._job_run_batches(batches(), remaining=remaining, started=started)
        planner._send_review_digests()
        planner._job_commit()
        return done, left

    @api.model
    def _reviewed_customers_domain(self, company):
        """Commercial partners of this company in a stage that is reviewed."""
        return [
            ("retention_stage", "in", engine.REVIEWED_STAGES),
            ("company_id", "in", [False, company.id]),
            "|",
            ("is_company", "=", True),
            ("parent_id", "=", False),
        ]

    @api.model
    def _customers_without_review_date_batches(self, company):
        """Customers of this company without a next review date, in batches of
        ASSIGN_BATCH_SIZE: each is given one from its cadence (one cadence after its last
        done review, else the first date of its rhythm since it became a customer that is
        today or later) by _assign_next_review_dates_batch, committed per batch."""
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .search(
                self._reviewed_customers_domain(company)
                + [("retention_next_review_date", "=", False)],
                order="id",
            )
        )
        return list(split_every(ASSIGN_BATCH_SIZE, partners.ids, partners.browse))

    @api.model
    def _assign_next_review_dates_batch(self, company, partners, today):
        claimed = self._claim_customers(partners.ids)
        partners = partners.filtered(lambda p: p.id in claimed)
        if not partners:
            return 0
        partners.fetch(["retention_review_cadence", "retention_stage", "retention_customer_since"])
        last_done = {
            partner.id: day
            # sudo: last done reviews of all reviewers
            for partner, day in self.sudo()._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("state", "=", "done"),
                ],
                ["partner_id"],
                ["date_done:max"],
            )
        }
        by_date = defaultdict(list)
        for partner in partners:
            cadence = company._retention_review_cadence(
                partner.retention_review_cadence, partner.retention_stage
            )
            if partner.id in last_done:
                day = engine.next_review_date(cadence, last_done[partner.id])
            else:
                since = partner.retention_customer_since or today
                day = engine.next_review_date(cadence, since, not_before=today)
            if day:
                by_date[day].append(partner.id)
        for day, partner_ids in by_date.items():
            partners.browse(partner_ids).write({"retention_next_review_date": day})
        return sum(len(ids) for ids in by_date.values())

    @api.model
    def _due_customers(self, company, today):
        """Customers of this company whose next review falls within the lead time, with a
        cadence, and without a planned review in this company."""
        horizon = engine.planning_horizon(today, company.retention_review_lead_days)
        # sudo: same, the customers coming due in the whole company
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .search_fetch(
                self._reviewed_customers_domain(company)
                + [
                    ("retention_next_review_date", "<=", horizon),
                    (
                        "retention_review_ids",
                        "not any",
                        [("state", "=", "planned"), ("company_id", "=", company.id)],
                    ),
                ],
                [
                    "retention_review_cadence",
                    "retention_stage",
                    "retention_next_review_date",
                    "retention_account_manager_id",
                    "user_id",
                ],
                order="id",
            )
        )
        return partners.filtered(
            lambda p: (
                company._retention_review_cadence(p.retention_review_cadence, p.retention_stage)
                != engine.NO_REVIEW
            )
        )

    @api.model
    def _due_review_batches(self, companies, today):
        """The planning work of these companies: (company, lock date, due customers) per
        batch of PLANNING_BATCH_SIZE customers."""
        for company in companies:
            partners = self._due_customers(company, today)
            lock_date = company._retention_review_lock_date()
            for batch in split_every(PLANNING_BATCH_SIZE, partners.ids, partners.browse):
                yield company, lock_date, batch

    @api.model
    def _plan_review_batches(self, work):
        """Plan the batches of ``work`` (a deque, emptied as it goes), one at a time; each
        step gives how many reviews it planned. Customers another worker holds are left to
        it."""
        while work:
            company, lock_date, partners = work.popleft()
            claimed = self._claim_customers(partners.ids)
            yield sum(
                bool(self._plan_review(partner, company, lock_date))
                for partner in partners
                if partner.id in claimed
            )

    @api.model
    def _claim_customers(self, partner_ids):
        """Lock these customers until the transaction ends and return the ids obtained.
        Those another worker holds are skipped, and so are all of them when one changed since
        this transaction began: either way, the next run takes them."""
        if not partner_ids:
            return set()
        return set(
            self._job_claim(
                "res_partner", SQL("id = ANY(%s)", list(partner_ids)), lock="no key update"
            )
        )

    @api.model
    def _plan_review(self, partner, company, lock_date):
        """Create the planned review of one customer, in its own savepoint: when a second
        worker planned it in the meantime, the unique index refuses it and nothing else is
        undone."""
        values = {
            "partner_id": partner.id,
            "company_id": company.id,
            "user_id": partner._retention_responsible_user(company).id,
            "date_planned": engine.first_open_day(partner.retention_next_review_date, lock_date),
            "digest_pending": True,
        }
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                return self.create(values)
        except pgerrors.UniqueViolation:
            return self.browse()
        except (UserError, ValidationError) as error:
            _logger.warning("Review of partner %s not planned: %s", partner.id, error)
            return self.browse()

    @api.model
    def _send_review_digests(self):
        """One message per reviewer listing the reviews planned for them since the last
        digest; the reviews are then marked as told. The pending reviews are claimed (FOR
        UPDATE SKIP LOCKED): one that a user is completing, or another worker telling, is
        left to the next digest. Marking such a review told failed the planning job's last
        commit in the load test, and the day's planning stopped with it (issue #21)."""
        self.flush_model(["digest_pending"])
        pending = self.browse(
            self._job_claim(
                "retention_review", SQL("digest_pending"), order=SQL("date_planned, id")
            )
        )
        planned = pending.filtered(lambda r: r.state == "planned" and r.user_id)
        for user, reviews in planned.grouped("user_id").items():
            self._send_digest(user, reviews)
        pending.write({"digest_pending": False})
        return len(planned.user_id)

    @api.model
    def _send_digest(self, user, reviews):
        """The digest, in the reviewer's language, to their inbox or mailbox as they chose."""
        env = self.with_context(lang=user.lang or self.env.lang).env
        reviews = reviews.with_env(env)
        body = env["ir.qweb"]._render(
            DIGEST_TEMPLATE,
            {
                "user": user,
                "lines": [
                    {
                        "review": review,
                        "url": review._notify_get_action_link("view"),
                        "date": format_date(env, review.date_planned),
                    }
                    for review in reviews
                ],
                "show_company": len(reviews.company_id) > 1,
            },
            minimal_qcontext=True,
        )
        env["mail.thread"].message_notify(
            partner_ids=user.partner_id.ids,
            subject=env._("Account reviews to prepare: %(count)s", count=len(reviews)),
            body=body,
            notify_author=True,
        )
