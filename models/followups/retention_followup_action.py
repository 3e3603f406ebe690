from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date
from odoo.tools.translate import LazyTranslate

from ..profile.res_partner import can_look_after

_lt = LazyTranslate(__name__)

#: What a log says it created, by key: stored as {"key", "args"} (the log's result_data) and
#: written out in the reader's language (render_result). Features add their keys.
RESULT_MESSAGES = {
    "activity": _lt("Activity %(activity)s for %(user)s, due %(date)s"),
    "plan": _lt("Plan %(plan)s launched: %(activities)s"),
    "plan_activity": _lt("%(activity)s for %(user)s, due %(date)s"),
    "email": _lt("Email %(template)s queued to %(recipients)s"),
}


def result_entry(key, **args):
    """One line of a log's result, to store (dates as ISO strings, formatted when shown)."""
    return {
        "key": key,
        "args": {k: (fields.Date.to_string(v) if k == "date" else v) for k, v in args.items()},
    }


def render_result(env, entry, lang=None):
    """The line ``entry`` (result_entry, or a plain text of older logs) in ``lang`` (default:
    the environment's), dates in that language's format."""
    if isinstance(entry, str):
        return entry
    lang = lang or env.lang or "en_US"
    args = dict(entry.get("args") or {})
    if args.get("date"):
        args["date"] = format_date(env, args["date"], lang_code=lang)
    if entry.get("key") == "plan":
        args["activities"] = (
            "; ".join(render_result(env, item, lang) for item in args.get("activities") or [])
            or "-"
        )
    message = RESULT_MESSAGES.get(entry.get("key"))
    if message is None:
        return ""
    return message._translate(lang) % args


#: What an action does; feedback adds "Request feedback" (models/feedback/).
ACTION_TYPES = [
    ("activity", "Schedule an activity"),
    ("plan", "Launch an activity plan"),
    ("email", "Send an email"),
]
#: The longest delay of an activity's deadline or a plan's date, in days.
DELAY_MAX = 3650
ASSIGNEES = [
    ("account_manager", "Account manager"),
    ("project_manager", "Project manager"),
    ("salesperson", "Salesperson"),
    ("user", "A named user"),
]


class RetentionFollowupAction(models.Model):
    """One step of a follow-up rule, run on the record the event is about: the project for
    project events, the invoice for invoice events, the customer for customer events, the
    review for review outcomes.

    Other features add kinds of actions through named hooks: _summary_fields,
    _summary_phrase, _check_fits_model and _execute (feedback requests)."""

    _name = "retention.followup.action"
    _description = "Follow-up Action"
    _order = "sequence, id"

    rule_id = fields.Many2one(
        "retention.followup.rule", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    record_model = fields.Char(related="rule_id.record_model")
    action_type = fields.Selection(ACTION_TYPES, string="Action", required=True, default="activity")
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        domain="['|', ('res_model', '=', False), ('res_model', '=', record_model)]",
    )
    summary = fields.Char(translate=True, help="Short title of the activity.")
    note = fields.Html(translate=True, help="Instructions shown in the activity.")
    delay_days = fields.Integer(
        string="Due in (days)",
        default=0,
        help="Days between the event being detected and the activity's deadline (or the plan's "
        "date).",
    )
    assignee = fields.Selection(
        ASSIGNEES,
        string="Assign to",
        default="account_manager",
        help="Account manager: whoever looks after the customer (its account manager, else its "
        "salesperson, else the fallback reviewer of the company). Salesperson: the customer's "
        "(for invoices, the invoice's salesperson first). The project manager only exists for "
        "project events. For a plan, the assignee takes the steps marked 'Ask at launch'.",
    )
    user_id = fields.Many2one("res.users", domain="[('share', '=', False)]")
    plan_id = fields.Many2one(
        "mail.activity.plan",
        string="Activity Plan",
        domain="[('res_model', '=', record_model)]",
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', record_model)]",
    )
    description = fields.Char(compute="_compute_description", string="Does")

    _sql_constraints = [
        ("delay_positive", "CHECK (delay_days >= 0)", "The delay cannot be negative."),
    ]

    @api.model
    def _summary_fields(self):
        """Hook: the fields an action's description is made of (other features add theirs)."""
        return [
            "action_type",
            "activity_type_id",
            "summary",
            "delay_days",
            "assignee",
            "user_id",
            "plan_id",
            "template_id",
        ]

    @api.depends_context("lang")
    @api.depends(lambda self: self._summary_fields())
    def _compute_description(self):
        for action in self:
            action.description = action._summary_phrase()

    def _summary_phrase(self):
        """The action in words, e.g. "schedule 'Call' for the account manager (due in 3 days)"."""
        self.ensure_one()
        _ = self.env._
        if self.action_type == "activity":
            return _(
                "schedule '%(activity)s' for %(who)s (%(when)s)",
                activity=self.summary or self.activity_type_id.name or _("an activity"),
                who=self._assignee_phrase(),
                when=self._delay_phrase(),
            )
        if self.action_type == "plan":
            return _(
                "launch the plan '%(plan)s' for %(who)s (%(when)s)",
                plan=self.plan_id.name or "?",
                who=self._assignee_phrase(),
                when=self._delay_phrase(plan=True),
            )
        if self.action_type == "email":
            return _("send the email '%(template)s'", template=self.template_id.name or "?")
        return ""

    def _delay_phrase(self, plan=False):
        _ = self.env._
        if plan:
            if not self.delay_days:
                return _("starting the same day")
            return _("starting in %(days)s days", days=self.delay_days)
        if not self.delay_days:
            return _("due the same day")
        if self.delay_days == 1:
            return _("due the next day")
        return _("due in %(days)s days", days=self.delay_days)

    def _assignee_phrase(self):
        _ = self.env._
        return {
            "account_manager": _("the account manager"),
            "project_manager": _("the project manager"),
            "salesperson": _("the salesperson"),
            "user": self.user_id.name or _("a user to choose"),
        }.get(self.assignee, _("nobody"))

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("delay_days")
    def _check_delay(self):
        """Bounded: the job adds the delay to today (a huge number overflows the date)."""
        for action in self:
            if not 0 <= action.delay_days <= DELAY_MAX:
                raise ValidationError(
                    self.env._(
                        "The delay of an action must be between %(min)s and %(max)s days.",
                        min=0,
                        max=DELAY_MAX,
                    )
                )

    @api.constrains(
        "action_type", "activity_type_id", "assignee", "user_id", "plan_id", "template_id"
    )
    def _check_complete(self):
        _ = self.env._
        for action in self:
            if action.action_type == "activity" and not action.activity_type_id:
                raise ValidationError(_("Choose the type of the activity to schedule."))
            if action.action_type == "plan" and not action.plan_id:
                raise ValidationError(_("Choose the activity plan to launch."))
            if action.action_type == "email" and not action.template_id:
                raise ValidationError(_("Choose the email template to send."))
            if action.action_type in ("activity", "plan"):
                if not action.assignee:
                    raise ValidationError(_("Choose who the activities are assigned to."))
                if action.assignee == "user" and not action.user_id:
                    raise ValidationError(_("Choose the user the activities are assigned to."))
        self._check_fits_record_model()

    @api.constrains("rule_id", "delay_days")
    def _check_fits_record_model(self):
        """Each action must fit the model of its rule's records (_check_fits_model)."""
        for action in self:
            model = action.rule_id.record_model
            if model:
                action._check_fits_model(model, self.env["ir.model"]._get(model).name)

    def _check_fits_model(self, model, model_name):
        """Hook: ValidationError when this action cannot act on records of ``model``: plans
        and templates are made for one model, the project manager exists on projects only."""
        _ = self.env._
        where = {"rule": self.rule_id.name, "model": model_name}
        if self.action_type == "plan" and self.plan_id.res_model != model:
            raise ValidationError(
                _(
                    "The plan %(plan)s applies to another kind of record: the rule "
                    "%(rule)s acts on %(model)s.",
                    plan=self.plan_id.name,
                    **where,
                )
            )
        if self.action_type == "email" and self.template_id.model != model:
            raise ValidationError(
                _(
                    "The email template %(template)s is made for another kind of record: "
                    "the rule %(rule)s acts on %(model)s.",
                    template=self.template_id.name,
                    **where,
                )
            )
        if (
            self.action_type in ("activity", "plan")
            and self.assignee == "project_manager"
            and model != "project.project"
        ):
            raise ValidationError(
                _(
                    "Only rules about projects can assign the project manager: the rule "
                    "%(rule)s acts on %(model)s.",
                    **where,
                )
            )

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def _execute(self, record, customer, today):
        """Run this action on ``record`` (sudo, in the rule's company); returns a line saying
        what it created. Raises UserError when it cannot be done (no assignee, ...)."""
        self.ensure_one()
        if self.action_type == "activity":
            return self._execute_activity(record, customer, today)
        if self.action_type == "plan":
            return self._execute_plan(record, customer, today)
        return self._execute_email(record)

    def _execute_activity(self, record, customer, today):
        values, user = self._activity_values(record, customer, today)
        activity = self.env["mail.activity"].create(values)
        return self._activity_result(activity, user)

    def _activity_values(self, record, customer, today):
        """The values of the activity this action schedules on ``record`` (what
        ``activity_schedule`` would create), and its assignee. Raises UserError when there is
        no assignee."""
        user = self._resolve_assignee(record, customer)
        texts = self.with_context(lang=user.lang or self.env.lang)  # in the assignee's language
        activity_type = self.activity_type_id or record._default_activity_type()
        values = {
            "activity_type_id": activity_type.id,
            "summary": texts.summary or activity_type.summary,
            "automated": True,
            "note": texts.note or activity_type.default_note,
            "date_deadline": today + timedelta(days=self.delay_days),
            "res_model_id": self.env["ir.model"]._get_id(record._name),
            "res_id": record.id,
            "user_id": user.id,
        }
        return values, user

    def _activity_result(self, activity, user):
        """What the log says it created: names and dates, no ids (issue #17)."""
        return result_entry(
            "activity",
            activity=self.summary or self.activity_type_id.name,
            user=user.name,
            date=activity.date_deadline,
        )

    def _execute_plan(self, record, customer, today):
        plan = self.plan_id
        user = self.env["res.users"]
        if plan.has_user_on_demand:
            user = self._resolve_assignee(record, customer)
        before = set(record.activity_ids.ids)
        self.env["mail.activity.schedule"].with_context(
            active_model=record._name, active_ids=record.ids
        ).create(
            {
                "plan_id": plan.id,
                "plan_date": today + timedelta(days=self.delay_days),
                "plan_on_demand_user_id": user.id or self.env.user.id,
            }
        ).action_schedule_plan()
        record.invalidate_recordset(["activity_ids"])
        created = self.env["mail.activity"].browse(sorted(set(record.activity_ids.ids) - before))
        return result_entry(
            "plan",
            plan=plan.name,
            activities=[
                result_entry(
                    "plan_activity",
                    activity=activity.summary or activity.activity_type_id.name,
                    user=activity.user_id.name or "-",
                    date=activity.date_deadline,
                )
                for activity in created
            ],
        )

    def _execute_email(self, record):
        mail = self.env["mail.mail"].browse(self.template_id.send_mail(record.id))
        recipients = ", ".join(
            [*mail.recipient_ids.mapped("display_name"), *filter(None, [mail.email_to])]
        )
        return result_entry("email", template=self.template_id.name, recipients=recipients or "-")

    def _resolve_assignee(self, record, customer):
        """The user the activity goes to; a UserError names who is missing. The account
        manager is whoever looks after the customer in the rule's company (its account
        manager, else its salesperson, else the fallback reviewer:
        res.partner._retention_responsible_user); the others are taken as named, and must be
        allowed to look after the customer as well."""
        _ = self.env._
        company = self.rule_id.company_id
        if self.assignee == "account_manager":
            user = customer._retention_responsible_user(company)
            if not user:
                raise UserError(
                    _(
                        "Nobody looks after %(customer)s in %(company)s: give it an account "
                        "manager or a salesperson who is an active internal user of the "
                        "company, or choose a fallback reviewer in Settings.",
                        customer=customer.display_name,
                        company=company.name,
                    )
                )
            return user
        if self.assignee == "user":
            user, missing = self.user_id, _("no user chosen on the rule")
        elif self.assignee == "project_manager":
            user = record.user_id if record._name == "project.project" else self.env["res.users"]
            missing = _("no project manager on %(record)s", record=record.display_name)
        else:
            user = record.invoice_user_id if record._name == "account.move" else False
            user = user or customer.user_id
            missing = _("no salesperson on %(customer)s", customer=customer.display_name)
        if not user:
            raise UserError(missing)
        if not can_look_after(user, company):
            raise UserError(
                _(
                    "%(user)s cannot be assigned: not an active internal user of %(company)s.",
                    user=user.name,
                    company=company.name,
                )
            )
        return user
