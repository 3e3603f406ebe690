import ast
import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta

from psycopg2 import errors as pgerrors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, mute_logger

from ..field_kinds import record_company
from ..ui_actions import notification, window_action

#: Context key: look for events from this day on instead of Events From (the preview).
EVENTS_FROM_KEY = "retention_events_from"
#: How far back the preview of older events looks.
PREVIEW_FROM = date(2000, 1, 1)

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trigger:
    """One kind of event a follow-up rule can wait for: a row of the trigger table. Adding a
    trigger is adding a row (here, or in a feature's folder through _trigger_table) and its
    event query method; everything else (the selection, the record model, the number of
    days, the option to complete, the rule's summary) reads the row."""

    key: str  # the value of the rule's Trigger field
    label: str  # its label in that field
    model: str  # the record each event is about (where its activities, plans and emails go)
    #: (rule, translate) -> the event in words, for the rule's summary sentence
    phrase: Callable = dataclass_field(compare=False)
    days: bool = False  # uses the rule's number of days N
    min_days: int = 1  # the smallest N when it does (project_closed: 0, the day it closes)
    option: str | None = None  # the field of the rule that completes the trigger
    #: the method returning the due events, [(res_id, partner_id, event_key, event_date)]
    events: str | None = None

    @property
    def events_method(self):
        return self.events or f"_events_{self.key}"


def _phrase_project_status(rule, _):
    return _(
        "a project's status update turns %(status)s",
        status=rule._selection_labels("project_status", rule.project_status),
    )


def _phrase_project_closed(rule, _):
    if not rule.days:
        return _("a project is closed")
    return _("a project was closed %(days)s days ago", days=rule.days)


def _phrase_stage_change(rule, _):
    return _(
        "a customer moves to the stage %(stage)s",
        stage=rule._selection_labels("target_stage", rule.target_stage),
    )


#: The triggers of the follow-up feature itself (projects, invoices, customers). Account
#: reviews and feedback add theirs from their own folders (retention_followup_rule.py in
#: models/reviews/ and models/feedback/).
TRIGGERS = (
    Trigger(
        "project_start",
        "A project starts",
        "project.project",
        phrase=lambda rule, _: _("a project starts"),
    ),
    Trigger(
        "project_no_update",
        "A project has no status update for N days",
        "project.project",
        days=True,
        phrase=lambda rule, _: _(
            "a project has had no status update for %(days)s days", days=rule.days
        ),
    ),
    Trigger(
        "project_status",
        "A project's status turns at risk / off track",
        "project.project",
        option="project_status",
        phrase=_phrase_project_status,
    ),
    Trigger(
        "project_closed",
        "N days after a project is closed",
        "project.project",
        days=True,
        min_days=0,
        phrase=_phrase_project_closed,
    ),
    Trigger(
        "first_invoice",
        "A customer's first invoice is posted",
        "res.partner",
        phrase=lambda rule, _: _("a customer's first invoice is posted"),
    ),
    Trigger(
        "invoice_paid",
        "An invoice is paid",
        "account.move",
        phrase=lambda rule, _: _("an invoice is paid"),
    ),
    Trigger(
        "invoice_overdue",
        "An invoice is N days overdue",
        "account.move",
        days=True,
        phrase=lambda rule, _: _("an invoice is %(days)s days overdue", days=rule.days),
    ),
    Trigger(
        "no_contact",
        "No contact with a customer for N days",
        "res.partner",
        days=True,
        phrase=lambda rule, _: _(
            "there has been no contact with a customer for %(days)s days", days=rule.days
        ),
    ),
    Trigger(
        "stage_change",
        "A customer's retention stage changes",
        "res.partner",
        option="target_stage",
        phrase=_phrase_stage_change,
    ),
    Trigger(
        "health_drop",
        "A customer's health score drops by N points",
        "res.partner",
        phrase=lambda rule, _: _(
            "a customer's health score drops by %(points)s points or more",
            points=rule.health_drop,
        ),
    ),
    Trigger(
        "renewal_partner",
        "N days before a customer's renewal date",
        "res.partner",
        days=True,
        phrase=lambda rule, _: _("a customer's renewal date is %(days)s days away", days=rule.days),
    ),
    Trigger(
        "renewal_project",
        "N days before a project's renewal date",
        "project.project",
        days=True,
        phrase=lambda rule, _: _("a project's renewal date is %(days)s days away", days=rule.days),
    ),
)
PROJECT_STATUSES = [("at_risk", "At Risk"), ("off_track", "Off Track")]
TARGET_STAGES = [("at_risk", "At Risk"), ("churned", "Churned"), ("won_back", "Won Back")]

#: Key of the transaction-level advisory lock one worker holds while detecting a rule's events.
DETECTION_LOCK_KEY = 0x52464C  # "RFL"

#: Bounds of the numbers a rule's author sets: the job computes dates with them.
DAYS_MAX = 3650
HEALTH_DROP_MAX = 100
#: Fields written by the scheduled job only (never by users, whatever their rights).
JOB_FIELDS = ("last_error", "last_error_date")

#: What a customer filter may hold: conditions (field path, operator, plain value) and these.
LOGIC_OPERATORS = ("&", "|", "!")
PLAIN_TYPES = (str, int, float, bool, type(None))
#: Operators whose value is itself a filter, on the field's model.
SUBDOMAIN_OPERATORS = ("any", "not any")


class FilterError(ValueError):
    """Why a customer filter is refused: ``reason`` is one of 'not_literal', 'unknown_field'
    (``field`` names the path as typed), 'access' or 'mismatch'."""

    def __init__(self, reason, field=None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


def literal_domain(text):
    """The customer filter text as a domain list. Only literals are read (ast.literal_eval):
    no name, call or attribute is ever evaluated, so the filter cannot act nor read anything.
    Raises FilterError when the text is not a plain list of conditions."""
    text = (text or "").strip() or "[]"
    try:
        domain = ast.literal_eval(text)
    except Exception as error:  # noqa: BLE001 SyntaxError, ValueError, RecursionError...
        raise FilterError("not_literal") from error
    return _checked_domain(domain)


def _checked_domain(domain):
    """``domain`` as a list of '&', '|', '!' and (field path, operator, plain value) tuples."""
    if not isinstance(domain, (list, tuple)):
        raise FilterError("not_literal")
    checked = []
    for item in domain:
        if isinstance(item, str) and item in LOGIC_OPERATORS:
            checked.append(item)
            continue
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise FilterError("not_literal")
        leaf = tuple(item)
        if leaf in (expression.TRUE_LEAF, expression.FALSE_LEAF):
            checked.append(leaf)
            continue
        path, operator, value = leaf
        if (
            not isinstance(path, str)
            or not path
            or not isinstance(operator, str)
            or operator.lower() not in expression.TERM_OPERATORS
        ):
            raise FilterError("not_literal")
        if operator.lower() in SUBDOMAIN_OPERATORS:
            value = _checked_domain(value)
        elif not (
            isinstance(value, PLAIN_TYPES)
            or (
                isinstance(value, (list, tuple))
                and all(isinstance(element, PLAIN_TYPES) for element in value)
            )
        ):
            raise FilterError("not_literal")
        checked.append((path, operator, value))
    try:
        expression.normalize_domain(checked)  # as many conditions as the operators need
    except (AssertionError, ValueError) as error:
        raise FilterError("not_literal") from error
    return checked


class RetentionFollowupRule(models.Model):
    """A follow-up rule: when something happens to a customer, one of its projects, invoices
    or account reviews, run the rule's actions (an activity, an activity plan, an email).

    A scheduled job detects each rule's events with one query, keeps those of customers
    matching the rule's filter, and records one log per (rule, record, event key): the unique
    key makes a rerun, a second worker or a later edit of the record harmless. The logs are
    then executed, each in its own savepoint, and retried later when they fail.
    """

    _name = "retention.followup.rule"
    _inherit = ["retention.job.mixin"]
    _description = "Follow-up Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = record_company()
    trigger = fields.Selection(
        [(trigger.key, trigger.label) for trigger in TRIGGERS],
        required=True,
        default="no_contact",
        help="What makes the rule act.",
    )
    days = fields.Integer(
        default=30,
        help="N in the trigger: days without status update or contact, days after closing, "
        "days overdue, days before the renewal date.",
    )
    project_status = fields.Selection(
        PROJECT_STATUSES, default="off_track", help="The status of the project's latest update."
    )
    target_stage = fields.Selection(
        TARGET_STAGES, string="New Stage", default="at_risk", help="The stage the customer enters."
    )
    health_drop = fields.Integer(
        string="Health Drop (points)",
        default=15,
        help="Fires when the health score fell by at least this many points at its last change.",
    )
    date_from = fields.Date(
        string="Events From",
        required=True,
        default=fields.Date.context_today,
        help="Events that fell due before this day are ignored, so activating a rule does "
        "not flood the team with old events. Set it back to catch up on a backlog. For "
        "renewals, the renewal date counts.",
    )
    partner_domain = fields.Char(
        string="Customer Filter",
        default="[]",
        help="Only customers matching this filter are followed up (the commercial customer "
        "of the project, invoice or review). A plain list of conditions with fixed values, "
        "built with the editor.",
    )
    action_ids = fields.One2many(
        "retention.followup.action", "rule_id", string="Actions", copy=True
    )
    record_model = fields.Char(
        compute="_compute_record_model",
        help="Technical: the model of the records the rule acts on.",
    )
    summary = fields.Text(compute="_compute_summary", help="What the rule does, in words.")
    log_ids = fields.One2many("retention.followup.log", "rule_id")
    log_count = fields.Integer(compute="_compute_log_counts", string="Fired")
    log_failed_count = fields.Integer(compute="_compute_log_counts", string="Failed")
    last_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the rule could not look for events at its last run; cleared once it can. "
        "Written by the scheduled job only.",
    )
    last_error_date = fields.Datetime(string="Last Error On", readonly=True, copy=False)
    # What the rule would catch, shown before it is activated (issue #17)
    preview_customer_count = fields.Integer(
        string="Customers Matching Now",
        compute="_compute_preview",
        help="Customers with an event due between Events From and today that the filter "
        "keeps: what Run now would follow up.",
    )
    preview_older_count = fields.Integer(
        string="Older Events",
        compute="_compute_preview",
        help="Events that fell due before Events From and are therefore ignored: set Events "
        "From back (Include older events) to catch them.",
    )
    preview_older_from = fields.Date(
        string="Oldest Event",
        compute="_compute_preview",
        help="When the oldest of the older events fell due.",
    )

    _sql_constraints = [
        ("days_positive", "CHECK (days >= 0)", "The number of days cannot be negative."),
    ]

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self._check_job_fields(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._check_job_fields([vals])
        return super().write(vals)

    def _check_job_fields(self, vals_list):
        """The job's fields are written by the module (as superuser) only: Odoo does not
        enforce readonly fields on write() through RPC."""
        if self.env.su:
            return
        if any(name in vals for vals in vals_list for name in JOB_FIELDS):
            raise AccessError(
                self.env._(
                    "The last error of a follow-up rule is recorded by the scheduled job: it "
                    "cannot be written by hand."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_fired(self):
        """A rule that has fired keeps its history: its log would go with it."""
        # sudo: logs of companies the user does not see count too
        fired = (
            self.env["retention.followup.log"]
            .sudo()
            ._read_group([("rule_id", "in", self.ids)], ["rule_id"], limit=1)
        )
        if fired:
            raise UserError(
                self.env._(
                    "The rule %(rule)s has already fired and its log is kept as history: "
                    "archive it instead of deleting it.",
                    rule=fired[0][0].with_env(self.env).name,
                )
            )

    # ------------------------------------------------------------------
    # The trigger table
    # ------------------------------------------------------------------
    @api.model
    def _trigger_table(self):
        """Hook: {key: Trigger} of every trigger a rule can have. The features that record
        events of their own (account reviews, feedback) add their rows by overriding it, with
        the selection value (``selection_add``) and the event query method of each."""
        return {trigger.key: trigger for trigger in TRIGGERS}

    def _trigger_row(self):
        """The row of this rule's trigger (None without a trigger)."""
        self.ensure_one()
        return self._trigger_table().get(self.trigger)

    @api.model
    def _trigger_option_fields(self):
        """The fields that complete a trigger (a status, a stage...), for the dependencies and
        constraints that read them."""
        return sorted({row.option for row in self._trigger_table().values() if row.option})

    @api.model
    def _fire_trigger(self, trigger, companies):
        """Run the active rules of ``trigger`` in ``companies`` now rather than at the next
        scheduled run: for a feature whose event just happened (a review completed)."""
        # sudo: whoever caused the event may not read the rules it starts
        rules = self.sudo().search([("trigger", "=", trigger), ("company_id", "in", companies.ids)])
        if rules:
            rules._run(commit=False)

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------
    @api.depends("trigger")
    def _compute_record_model(self):
        table = self._trigger_table()
        for rule in self:
            row = table.get(rule.trigger)
            rule.record_model = row.model if row else False

    def _compute_log_counts(self):
        counts = {
            (rule, state): count
            for rule, state, count in self.env["retention.followup.log"]._read_group(
                [("rule_id", "in", self.ids)], ["rule_id", "state"], ["__count"]
            )
        }
        for rule in self:
            rule.log_count = sum(c for (r, _s), c in counts.items() if r == rule._origin)
            rule.log_failed_count = counts.get((rule._origin, "failed"), 0)

    @api.depends_context("lang")
    @api.depends(
        lambda self: [
            "trigger",
            "days",
            "health_drop",
            *self._trigger_option_fields(),
            "partner_domain",
            "action_ids",
            *(
                f"action_ids.{name}"
                for name in self.env["retention.followup.action"]._summary_fields()
            ),
        ]
    )
    def _compute_summary(self):
        for rule in self:
            rule.summary = rule._summary_sentence()

    def _summary_sentence(self):
        """ "When <trigger>, <action>; then <action>." in the user's language."""
        self.ensure_one()
        _ = self.env._
        if not self.trigger:
            return ""
        actions = [action._summary_phrase() for action in self.action_ids]
        what = _("; then ").join(actions) if actions else _("do nothing yet (add an action)")
        sentence = _("When %(event)s, %(actions)s.", event=self._trigger_phrase(), actions=what)
        try:
            filtered = bool(self._parse_domain())
        except Exception:  # noqa: BLE001 an invalid filter is refused on save, not here
            filtered = True
        if filtered:
            sentence += " " + _("Only for customers matching the filter.")
        return sentence

    def _trigger_phrase(self):
        return self._trigger_row().phrase(self, self.env._)

    def _selection_labels(self, field_name, value):
        return dict(self._fields[field_name]._description_selection(self.env)).get(value, "")

    def _parse_domain(self):
        """The customer filter as a domain list of literals (see literal_domain): nothing in
        it is evaluated. Raises ValidationError when it is not a plain list of conditions."""
        self.ensure_one()
        try:
            return literal_domain(self.partner_domain)
        except FilterError as error:
            raise ValidationError(self._filter_error_message(error)) from None

    def _filter_error_message(self, error):
        """Why the filter is refused, in words; never echoes an evaluated value."""
        _ = self.env._
        reasons = {
            "not_literal": _(
                "a filter is a plain list of conditions (field, operator, value) joined by "
                "'&', '|' or '!', whose values are text, numbers, True, False or lists of "
                "them, e.g. [('is_company', '=', True)]. Names and expressions such as uid, "
                "user or context_today() are not allowed: build the filter with the editor."
            ),
            "unknown_field": _("contacts have no field %(field)s.", field=error.field),
            "access": _("it uses a field of contacts you are not allowed to read."),
            "mismatch": _(
                "one of its conditions does not fit its field: check each operator and value."
            ),
        }
        return _(
            "The customer filter of the rule %(rule)s is not valid: %(reason)s",
            rule=self.name,
            reason=reasons[error.reason],
        )

    def _check_filter_fields(self, domain, model):
        """Every field path of ``domain`` exists on ``model`` (res.partner, or the model of
        an 'any' condition); raises FilterError naming the first that does not."""
        for item in domain:
            if isinstance(item, str) or item in (expression.TRUE_LEAF, expression.FALSE_LEAF):
                continue
            path, operator, value = item
            current, field = model, None
            names = path.split(".")
            for index, name in enumerate(names):
                field = current._fields.get(name)
                if field is None or (index < len(names) - 1 and not field.relational):
                    raise FilterError("unknown_field", path)
                if field.relational:
                    current = self.env[field.comodel_name]
            if operator.lower() in SUBDOMAIN_OPERATORS:
                if not field.relational:
                    raise FilterError("mismatch")
                self._check_filter_fields(value, current)

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        """A filter is a literal domain on contacts whose fields the author may read: the job
        applies it as superuser, so a field hidden from the author could otherwise be probed
        through the customers the rule fires on."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        for rule in self:
            try:
                domain = literal_domain(rule.partner_domain)
                rule._check_filter_fields(domain, Partner)
                try:
                    with self.env.cr.savepoint():
                        Partner._search(domain)  # field rights, operators and values
                except AccessError as error:
                    raise FilterError("access") from error
                except Exception as error:  # noqa: BLE001 refused the same way, without detail
                    raise FilterError("mismatch") from error
            except FilterError as error:
                raise ValidationError(rule._filter_error_message(error)) from None

    @api.constrains("trigger", "days", "health_drop")
    def _check_numbers(self):
        """Bounded numbers: the job adds the days to dates (a huge number overflows them)."""
        _ = self.env._
        for rule in self:
            row = rule._trigger_row()
            low = row.min_days if row and row.days else 0
            if not low <= rule.days <= DAYS_MAX:
                raise ValidationError(
                    _(
                        "The rule %(rule)s needs a number of days between %(min)s and %(max)s.",
                        rule=rule.name,
                        min=low,
                        max=DAYS_MAX,
                    )
                )
            low = 1 if rule.trigger == "health_drop" else 0
            if not low <= rule.health_drop <= HEALTH_DROP_MAX:
                raise ValidationError(
                    _(
                        "The rule %(rule)s needs a health drop between %(min)s and %(max)s points.",
                        rule=rule.name,
                        min=low,
                        max=HEALTH_DROP_MAX,
                    )
                )

    @api.constrains(lambda self: ["trigger", *self._trigger_option_fields()])
    def _check_trigger_options(self):
        for rule in self:
            row = rule._trigger_row()
            if row and row.option and not rule[row.option]:
                raise ValidationError(
                    self.env._(
                        "Complete the trigger of the rule %(rule)s: choose the status, stage, "
                        "outcome or feedback answer it waits for.",
                        rule=rule.name,
                    )
                )

    @api.constrains("trigger")
    def _check_actions_fit_trigger(self):
        self.action_ids._check_fits_record_model()

    # ------------------------------------------------------------------
    # Actions (buttons)
    # ------------------------------------------------------------------
    def action_run_now(self):
        """Detect this rule's events now and run what is due, in this transaction."""
        # who may edit these rules (rights and company rules) may run them
        self.check_access("write")
        # sudo: checked above; the rule's actions create activities and mails for other users
        executed = self.sudo()._run(commit=False)
        message = self.env._("%(count)s follow-up(s) run. See the log for details.", count=executed)
        failed = self.filtered("last_error")
        if failed:
            message = self.env._(
                "%(count)s follow-up(s) run. The rule %(rule)s could not look for events: see "
                "the error shown on the rule.",
                count=executed,
                rule=failed[0].name,
            )
        return notification(message, "warning" if failed else "success" if executed else "info")

    def action_view_logs(self):
        self.ensure_one()
        self.check_access("read")
        return window_action(
            self.env,
            "customer_retention.retention_followup_log_action",
            [("rule_id", "=", self.id)],
        )

    # ------------------------------------------------------------------
    # Scheduled job
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_followups(self):
        """Every 15 minutes: detect the events of every active rule, then execute the due
        logs in committed batches (outside tests), reporting progress (retention.job.mixin)."""
        # sudo: the scheduled job works for every company, whoever runs it
        rules = self.sudo().search([])
        rules._detect_events()
        self._job_commit()
        # sudo: same, for the due logs of every company
        return self.env["retention.followup.log"].sudo()._process_due(commit=True)

    def _run(self, commit=False):
        """Detect and execute the events of these rules; returns how many logs ran."""
        self._detect_events()
        done, _remaining = self.env["retention.followup.log"]._process_due(
            rules=self, commit=commit
        )
        return done

    # ------------------------------------------------------------------
    # Detection
    # ------------------------------------------------------------------
    def _detect_events(self):
        """Record a pending log per new event of each rule; returns how many were added.
        Each rule works in its own savepoint: one that fails is undone alone, its error
        recorded on it (shown in its form, cleared once it works again), and the others go
        on."""
        added = 0
        today = fields.Date.context_today(self)
        self.env.flush_all()
        for rule in self.filtered("active"):
            try:
                with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                    if not rule._lock_detection():
                        continue  # another worker is detecting this rule's events
                    rows = rule._event_rows(today)
                    rows = rule._filter_rows_by_domain(rows)
                    added += rule._insert_logs(rows, today)
            except pgerrors.SerializationFailure:
                # a concurrent worker recorded the same events and committed meanwhile
                _logger.info("Follow-up rule %s: events recorded by another worker", rule.id)
                continue
            except Exception as error:  # noqa: BLE001 one rule never stops the others
                _logger.warning(
                    "Follow-up rule %s: looking for events failed", rule.id, exc_info=True
                )
                rule._record_error(error)
                continue
            if rule.last_error:
                rule._record_error(None)
        return added

    def _record_error(self, error):
        """Record (or clear, when ``error`` is None) why the rule could not look for events."""
        self.ensure_one()
        values = {"last_error": False, "last_error_date": False}
        if error is not None:
            if isinstance(error, UserError):  # ValidationError too: written for users
                detail = str(error.args[0] if error.args else error)
            else:  # the first line only (a database error's details may quote data)
                detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
            values = {
                "last_error": self.env._(
                    "Looking for events failed: %(error)s\nThe other rules ran; this one is "
                    "tried again at the next run.",
                    error=detail[:1000],
                ),
                "last_error_date": fields.Datetime.now(),
            }
        # sudo: the job's fields are written by the module only
        self.sudo().write(values)
        self.env.flush_all()

    def _lock_detection(self):
        self.env.cr.execute(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", DETECTION_LOCK_KEY, self.id)
        )
        return self.env.cr.fetchone()[0]

    def _event_rows(self, today):
        """[(res_id, partner_id, event_key, event_date)] of this rule's due events."""
        return getattr(self, self._trigger_row().events_method)(today)

    def _events_from(self):
        """The first due day of the events looked for: Events From, or the day of the
        context key EVENTS_FROM_KEY (the preview of older events)."""
        return self.env.context.get(EVENTS_FROM_KEY) or self.date_from

    @api.depends(
        lambda self: [
            "trigger",
            "days",
            "date_from",
            "partner_domain",
            "company_id",
            *self._trigger_option_fields(),
        ]
    )
    def _compute_preview(self):
        """How many customers the rule would follow up now, and how many events before
        Events From it ignores: the same queries as the detection, nothing recorded."""
        today = fields.Date.context_today(self)
        for rule in self:
            rule.preview_customer_count = rule.preview_older_count = 0
            rule.preview_older_from = False
            if not (rule.trigger and rule.company_id and rule.date_from and rule._trigger_row()):
                continue
            try:
                with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                    # sudo: a count of the events, as the detection (run as superuser) sees them
                    preview = rule.sudo()
                    rows = preview._filter_rows_by_domain(preview._event_rows(today))
                    older = preview.with_context(**{EVENTS_FROM_KEY: PREVIEW_FROM})
                    older_rows = [
                        row
                        for row in older._filter_rows_by_domain(older._event_rows(today))
                        if row[3] and row[3] < rule.date_from
                    ]
            except Exception:  # noqa: BLE001 an incomplete rule (bad filter...) shows no count
                continue
            rule.preview_customer_count = len({row[1] for row in rows if row[1]})
            rule.preview_older_count = len(older_rows)
            rule.preview_older_from = min((row[3] for row in older_rows), default=False)

    def action_include_older_events(self):
        """Set Events From back to the oldest event it ignores: Run now then catches up."""
        self.check_access("write")
        for rule in self:
            if rule.preview_older_from:
                rule.date_from = rule.preview_older_from
        return True

    def _filter_rows_by_domain(self, rows):
        """Keep the events of customers matching the filter: one search for all of them."""
        domain = self._parse_domain()
        if not rows or not domain:
            return rows
        partner_ids = {row[1] for row in rows if row[1]}
        allowed = set(
            self.env["res.partner"]
            .with_company(self.company_id)
            .with_context(active_test=False)
            .search(expression.AND([[("id", "in", list(partner_ids))], domain]))
            .ids
        )
        return [row for row in rows if row[1] in allowed]

    def _insert_logs(self, rows, today):
        """Insert the logs, skipping events already recorded (the unique key decides)."""
        if not rows:
            return 0
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retention_followup_log
                       (rule_id, company_id, res_model, res_id, partner_id, event_key,
                        event_date, state, attempts, next_attempt,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(rule)s, %(company)s, %(model)s, v.res_id, v.partner_id, v.event_key,
                       v.event_date, 'pending', 0, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(res_ids)s::int[], %(partner_ids)s::int[], %(keys)s::varchar[],
                              %(dates)s::date[]) AS v(res_id, partner_id, event_key, event_date)
                    ON CONFLICT (rule_id, res_model, res_id, event_key) DO NOTHING
                """,
                rule=self.id,
                company=self.company_id.id,
                model=self.record_model,
                now=now,
                uid=self.env.uid,
                res_ids=[row[0] for row in rows],
                partner_ids=[row[1] for row in rows],
                keys=[row[2] for row in rows],
                dates=[row[3] or today for row in rows],
            )
        )
        return self.env.cr.rowcount

    def _query(self, query, **params):
        self.env.cr.execute(SQL(query, **params))
        return self.env.cr.fetchall()

    def _project_company_sql(self):
        """Projects of the rule's company, and shared projects (without company)."""
        return SQL("(pr.company_id = %s OR pr.company_id IS NULL)", self.company_id.id)

    # One method per trigger; each returns due events only: due day between the rule's start
    # day and today (renewals: the renewal date counts for the start day).
    def _events_project_start(self, today):
        """Key 'start': a project fires once, on its start date (else its creation day)."""
        return self._query(
            """
            SELECT pr.id, pa.commercial_partner_id, 'start',
                   COALESCE(pr.date_start, pr.create_date::date)
              FROM project_project pr JOIN res_partner pa ON pa.id = pr.partner_id
             WHERE pr.active AND NOT pr.retention_is_closed AND %(company)s
               AND COALESCE(pr.date_start, pr.create_date::date) BETWEEN %(start)s AND %(today)s
            """,
            company=self._project_company_sql(),
            start=self._events_from(),
            today=today,
        )

    def _events_project_no_update(self, today):
        """Key: the last status update (or 'none'), so each silence fires once."""
        return self._query(
            """
            SELECT pr.id, pa.commercial_partner_id,
                   'update-' || COALESCE(pu.id::text, 'none'), base.day + %(days)s
              FROM project_project pr JOIN res_partner pa ON pa.id = pr.partner_id
              LEFT JOIN project_update pu ON pu.id = pr.last_update_id
              CROSS JOIN LATERAL (
                    SELECT COALESCE(pu.date, pr.date_start, pr.create_date::date) AS day
              ) base
             WHERE pr.active AND NOT pr.retention_is_closed AND %(company)s
               AND base.day + %(days)s BETWEEN %(start)s AND %(today)s
            """,
            company=self._project_company_sql(),
            days=self.days,
            start=self._events_from(),
            today=today,
        )

    def _events_project_status(self, today):
        """Key: the status update that turned the project at risk or off track."""
        return self._query(
            """
            SELECT pr.id, pa.commercial_partner_id, 'status-' || pu.id, pu.date
              FROM project_project pr JOIN res_partner pa ON pa.id = pr.partner_id
              JOIN project_update pu ON pu.id = pr.last_update_id
             WHERE pr.active AND NOT pr.retention_is_closed AND %(company)s
               AND pu.status = %(status)s AND pu.date BETWEEN %(start)s AND %(today)s
            """,
            company=self._project_company_sql(),
            status=self.project_status,
            start=self._events_from(),
            today=today,
        )

    def _events_project_closed(self, today):
        """Key: the closing day; a project reopened and closed again fires again."""
        return self._query(
            """
            SELECT pr.id, pa.commercial_partner_id, 'closed-' || pr.retention_date_closed,
                   pr.retention_date_closed + %(days)s
              FROM project_project pr JOIN res_partner pa ON pa.id = pr.partner_id
             WHERE pr.retention_is_closed AND %(company)s
               AND pr.retention_date_closed + %(days)s BETWEEN %(start)s AND %(today)s
            """,
            company=self._project_company_sql(),
            days=self.days,
            start=self._events_from(),
            today=today,
        )

    def _events_first_invoice(self, today):
        """A customer event (onboarding): the customer's first invoice in the company
        (account.move._retention_customer_moves), read here rather than from the figures of
        the profile builder, so it fires without waiting for the refresh. Only customers
        invoiced since the rule's start day are ranked. Key: that invoice."""
        invoiced = SQL(
            """
            SELECT commercial_partner_id FROM account_move
             WHERE company_id = %(company)s AND state = 'posted' AND move_type = 'out_invoice'
               AND invoice_date BETWEEN %(start)s AND %(today)s
            """,
            company=self.company_id.id,
            start=self._events_from(),
            today=today,
        )
        moves = self.env["account.move"]._retention_customer_moves(
            companies=self.company_id.ids, partners=invoiced
        )
        return self._query(
            """
            SELECT cm.partner_id, cm.partner_id, 'invoice-' || cm.id, cm.invoice_date
              FROM %(moves)s cm
             WHERE cm.is_first_invoice AND cm.invoice_date BETWEEN %(start)s AND %(today)s
            """,
            moves=moves,
            start=self._events_from(),
            today=today,
        )

    def _events_invoice_paid(self, today):
        """Key 'paid': once per invoice, on the day of its last payment."""
        return self._query(
            """
            SELECT m.id, m.commercial_partner_id, 'paid', pay.day
              FROM account_move m
              CROSS JOIN LATERAL (
                    SELECT COALESCE(MAX(apr.max_date), m.invoice_date) AS day
                      FROM account_move_line l
                      JOIN account_partial_reconcile apr ON apr.debit_move_id = l.id
                     WHERE l.move_id = m.id
              ) pay
             WHERE m.state = 'posted' AND m.move_type = 'out_invoice'
               AND m.company_id = %(company)s
               AND m.payment_state IN ('paid', 'in_payment')
               AND pay.day BETWEEN %(start)s AND %(today)s
            """,
            company=self.company_id.id,
            start=self._events_from(),
            today=today,
        )

    def _events_invoice_overdue(self, today):
        """Key: the due date, so moving the due date starts a new count."""
        return self._query(
            """
            SELECT m.id, m.commercial_partner_id, 'overdue-' || m.invoice_date_due,
                   m.invoice_date_due + %(days)s
              FROM account_move m
             WHERE m.state = 'posted' AND m.move_type = 'out_invoice'
               AND m.company_id = %(company)s
               AND m.payment_state IN ('not_paid', 'partial')
               AND m.invoice_date_due + %(days)s BETWEEN %(start)s AND %(today)s
            """,
            company=self.company_id.id,
            days=self.days,
            start=self._events_from(),
            today=today,
        )

    def _customers(self, domain, fnames):
        """Commercial customers visible in the rule's company, with their figures read in
        that company (one search)."""
        return (
            self.env["res.partner"]
            .with_company(self.company_id)
            .search_fetch(
                expression.AND(
                    [
                        [
                            ("company_id", "in", [False, self.company_id.id]),
                            "|",
                            ("is_company", "=", True),
                            ("parent_id", "=", False),
                        ],
                        domain,
                    ]
                ),
                fnames,
                order="id",
            )
        )

    def _events_no_contact(self, today):
        """Key: the last contact day (or 'never', counted from the first invoice)."""
        limit = today - timedelta(days=self.days)
        partners = self._customers(
            [
                ("retention_stage", "not in", [False, "prospect"]),
                "|",
                ("retention_last_contact_date", "=", False),
                ("retention_last_contact_date", "<=", limit),
            ],
            ["retention_last_contact_date", "retention_customer_since"],
        )
        rows = []
        for partner in partners:
            last = partner.retention_last_contact_date
            base = last or partner.retention_customer_since
            due = base and base + timedelta(days=self.days)
            if due and self._events_from() <= due <= today:
                rows.append((partner.id, partner.id, f"contact-{last or 'never'}", due))
        return rows

    def _events_stage_change(self, today):
        """Key: the stage and the day it was entered."""
        partners = self._customers(
            [
                ("retention_stage", "=", self.target_stage),
                ("retention_stage_date", ">=", self._events_from()),
                ("retention_stage_date", "<=", today),
            ],
            ["retention_stage_date"],
        )
        return [
            (p.id, p.id, f"{self.target_stage}-{p.retention_stage_date}", p.retention_stage_date)
            for p in partners
        ]

    def _events_health_drop(self, today):
        """Key: the scores before and after the drop and the stage date, stable until the
        score changes again. The builder keeps no date of the change: the day it is seen."""
        partners = self._customers(
            [("retention_health_trend", "=", "down")],
            ["retention_health_score", "retention_health_score_prev", "retention_stage_date"],
        )
        return [
            (
                p.id,
                p.id,
                f"health-{p.retention_health_score_prev}-{p.retention_health_score}"
                f"-{p.retention_stage_date or ''}",
                today,
            )
            for p in partners
            if p.retention_health_score_prev - p.retention_health_score >= self.health_drop
        ]

    def _events_renewal_partner(self, today):
        """Key: the renewal date; due N days before it."""
        partners = self._customers(
            [
                ("retention_renewal_date", ">=", max(today, self._events_from())),
                ("retention_renewal_date", "<=", today + timedelta(days=self.days)),
            ],
            ["retention_renewal_date"],
        )
        return [
            (
                p.id,
                p.id,
                f"renewal-{p.retention_renewal_date}",
                p.retention_renewal_date - timedelta(days=self.days),
            )
            for p in partners
        ]

    def _events_renewal_project(self, today):
        return self._query(
            """
            SELECT pr.id, pa.commercial_partner_id, 'renewal-' || pr.retention_renewal_date,
                   pr.retention_renewal_date - %(days)s
              FROM project_project pr JOIN res_partner pa ON pa.id = pr.partner_id
             WHERE pr.active AND %(company)s
               AND pr.retention_renewal_date BETWEEN GREATEST(%(today)s, %(start)s)
                                                 AND %(today)s + %(days)s
            """,
            company=self._project_company_sql(),
            days=self.days,
            start=self._events_from(),
            today=today,
        )
