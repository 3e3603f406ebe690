import json
import logging
from datetime import timedelta
from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from .retention_followup_action import render_result

_logger = logging.getLogger(__name__)

LOG_STATES = [("pending", "Pending"), ("done", "Done"), ("failed", "Failed")]
MAX_ATTEMPTS = 5
RETRY_DELAY = timedelta(hours=1)  # times the number of attempts so far
CLAIM_BATCH_SIZE = 200  # logs executed per committed batch

#: The job may create thousands of activities in a run: no "assigned to you" email per
#: activity (the activities show in the assignee's activity menu and to-do list, which are
#: notified through the bus), and the emails of email actions go through the mail queue
#: instead of waiting on the mail server one by one.
FOLLOWUP_CONTEXT = {
    "mail_activity_quick_update": True,
    "mail_notify_force_send": False,
}


class RetentionFollowupLog(models.Model):
    """One event of one rule on one record: what fired, when, and what it created.

    The unique (rule, model, record, event key) makes every event fire once: detection
    inserts with ON CONFLICT DO NOTHING, so reruns and concurrent workers add nothing. A log
    is executed once it is due; a failure is rolled back alone, recorded with its error and
    retried later with a growing delay, up to MAX_ATTEMPTS times.
    """

    _name = "retention.followup.log"
    _inherit = ["retention.job.mixin"]
    _description = "Follow-up Log"
    _order = "create_date desc, id desc"
    _rec_name = "rule_id"

    rule_id = fields.Many2one(
        "retention.followup.rule", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", index=True, ondelete="cascade", readonly=True
    )
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True
    )
    record_ref = fields.Reference(
        selection="_selection_record_ref", compute="_compute_record_ref", string="Record"
    )
    record_name = fields.Char(compute="_compute_record_ref", string="On")
    event_key = fields.Char(
        required=True, readonly=True, help="Identifies the event on the record."
    )
    event_date = fields.Date(string="Due On", readonly=True, help="When the event fell due.")
    state = fields.Selection(
        LOG_STATES, required=True, default="pending", readonly=True, index=True
    )
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(readonly=True, index=True)
    error = fields.Text(readonly=True)
    result = fields.Text(
        string="Created (as written)",
        readonly=True,
        help="What the follow-up created, as written by the job in its language.",
    )
    result_data = fields.Json(
        string="Created (data)",
        readonly=True,
        help="Technical: what the follow-up created, as data (one entry per action), shown "
        "in the reader's language.",
    )
    result_display = fields.Text(
        string="Created",
        compute="_compute_result_display",
        help="What the follow-up created, in your language.",
    )
    date_done = fields.Datetime(string="Done On", readonly=True)

    _sql_constraints = [
        (
            "event_unique",
            "UNIQUE (rule_id, res_model, res_id, event_key)",
            "This event was already recorded for this rule.",
        ),
    ]

    @api.model
    def _selection_record_ref(self):
        return [
            ("project.project", self.env._("Project")),
            ("account.move", self.env._("Invoice")),
            ("res.partner", self.env._("Customer")),
            ("retention.review", self.env._("Account Review")),
            ("retention.feedback", self.env._("Feedback")),
            ("retention.risk", self.env._("Risk Case")),
        ]

    @api.depends_context("uid")
    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        """The record of the log, and its name when the user may read the record (else its
        kind and id: the log does not reveal what the user may not read)."""
        labels = dict(self._selection_record_ref())
        self.record_ref = self.record_name = False
        for model, logs in self.grouped("res_model").items():
            if not model or model not in self.env:
                continue
            # sudo: which records still exist; the link itself is checked when opened
            existing = self.env[model].sudo().browse(logs.mapped("res_id")).exists()
            readable = existing.with_env(self.env)._filtered_access("read")
            # sudo: the names of the records the user may read (checked just above)
            names = dict(zip(readable.ids, readable.sudo().mapped("display_name"), strict=True))
            existing_ids = set(existing.ids)
            records = self.env[model]
            for log in logs:
                if log.res_id not in existing_ids:
                    continue
                # a record, not the text "model,id": for a text, the field checks that the
                # record exists, one query per row; these were checked all at once above
                log.record_ref = records.browse(log.res_id)
                log.record_name = names.get(log.res_id) or self.env._(
                    "%(kind)s #%(id)s", kind=labels.get(model, model), id=log.res_id
                )

    @api.depends_context("lang")
    @api.depends("result", "result_data")
    def _compute_result_display(self):
        """The result in the reader's language (issue #17); older logs keep their text."""
        for log in self:
            if log.result_data:
                log.result_display = "\n".join(
                    render_result(self.env, entry) for entry in log.result_data
                )
            else:
                log.result_display = log.result

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_retry(self):
        """Run failed logs again now, whatever their attempts: for who may edit their rules."""
        self.check_access("read")
        self.rule_id.check_access("write")
        failed = self.filtered(lambda log: log.state == "failed")
        # sudo: rights checked above; logs are written by the module only, and a retry runs
        # as the scheduled job would (activities for other users)
        failed = failed.sudo()
        failed.write({"attempts": 0, "next_attempt": fields.Datetime.now()})
        failed._execute_logs()
        return True

    def action_open_record(self):
        """A row of the log opens its record (issue #17); the log itself when the record is
        gone or the user may not read it."""
        self.ensure_one()
        self.check_access("read")
        if self.record_ref:
            record = self.env[self.res_model].browse(self.res_id)
            if record._filtered_access("read"):
                return record._get_records_action()
        return self.action_open_log()

    def action_open_log(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    @api.model
    def _process_due(self, rules=None, commit=False):
        """Claim and execute due logs in batches (of these rules only, when given) within the
        job's time budget; commit each batch when asked (outside tests) and report the
        progress (retention.job.mixin). Returns (done, remaining)."""
        return self._job_run_batches(
            iter(partial(self._execute_due_batch, rules), 0),
            remaining=partial(self._count_due, rules),
            commit=commit,
        )

    @api.model
    def _execute_due_batch(self, rules=None):
        """One batch: claim up to CLAIM_BATCH_SIZE due logs and execute them. Returns how
        many were claimed (0: none left that this worker may take)."""
        logs = self._claim_due(CLAIM_BATCH_SIZE, rules)
        logs._execute_logs()
        return len(logs)

    def _due_condition(self, rules):
        condition = SQL(
            "state IN ('pending', 'failed') AND attempts < %s AND next_attempt <= %s",
            MAX_ATTEMPTS,
            fields.Datetime.now(),
        )
        if rules is not None:
            condition = SQL("%s AND rule_id = ANY(%s)", condition, list(rules.ids))
        return condition

    @api.model
    def _claim_due(self, limit, rules=None):
        """Lock up to ``limit`` due logs until this transaction ends. Logs another worker
        holds are skipped; when one changed since this transaction began, none is taken and
        the next run takes them."""
        self.env.flush_all()
        return self.browse(
            self._job_claim(
                "retention_followup_log",
                self._due_condition(rules),
                order=SQL("next_attempt, id"),
                limit=limit,
            )
        )

    @api.model
    def _count_due(self, rules=None):
        self.env.cr.execute(
            SQL("SELECT COUNT(*) FROM retention_followup_log WHERE %s", self._due_condition(rules))
        )
        return self.env.cr.fetchone()[0]

    def _execute_logs(self):
        """Execute the logs. Those of a rule that only schedules activities run together:
        all their activities made by one create, in one savepoint; should that fail (a
        missing assignee...), each of them runs again alone. Any other log runs alone, in its
        own savepoint: a failure is undone alone and recorded."""
        alone = self.browse()
        for _rule, logs in self.grouped("rule_id").items():
            if len(logs) < 2 or not logs._execute_activities_together():
                alone |= logs
        for log in alone:
            log._execute_one()

    def _execute_activities_together(self):
        """Logs of one rule whose actions are all activities: schedule every activity at once.
        Returns False, having changed nothing, when that is not possible."""
        rule = self.rule_id.with_company(self.company_id[:1])
        actions = rule.action_ids
        if len(rule) != 1 or not actions or set(actions.mapped("action_type")) != {"activity"}:
            return False
        env = rule.env(su=True, context=dict(rule.env.context, **FOLLOWUP_CONTEXT))
        today = fields.Date.context_today(self)
        models = set(self.mapped("res_model"))
        if len(models) != 1:
            return False
        records = env[models.pop()].browse(self.mapped("res_id"))
        results = {log.id: [] for log in self}
        try:
            with self.env.cr.savepoint():
                if len(records.exists()) != len(set(records.ids)):
                    raise ValueError("a record no longer exists")  # each log fails alone
                # what the activities read, loaded for the whole batch at once
                partners = env["res.partner"].browse(self.partner_id.ids)
                partners.fetch(["commercial_partner_id"])
                customers = partners.commercial_partner_id
                customers.fetch(["retention_account_manager_id", "user_id", "display_name"])
                (customers.retention_account_manager_id | customers.user_id).fetch(
                    ["active", "share", "lang", "name"]
                )
                records.mapped("display_name")  # the activities' res_name
                for action in actions.with_env(env):
                    values_list, users = [], []
                    for log in self:
                        customer = partners.browse(log.partner_id.id).commercial_partner_id
                        values, user = action._activity_values(
                            records.browse(log.res_id), customer, today
                        )
                        values_list.append(values)
                        users.append(user)
                    activities = env["mail.activity"].create(values_list)
                    for log, activity, user in zip(self, activities, users, strict=True):
                        results[log.id].append(action._activity_result(activity, user))
        except Exception:  # noqa: BLE001 each log then runs alone and records its own error
            return False
        # one UPDATE for the batch: every log done, each with its own result
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE retention_followup_log l
                   SET state = 'done', attempts = l.attempts + 1, error = NULL,
                       result = v.result, result_data = v.data::jsonb, date_done = %(now)s,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(ids)s::int[], %(results)s::text[], %(data)s::text[])
                       AS v(id, result, data)
                 WHERE l.id = v.id
                """,
                now=fields.Datetime.now(),
                uid=self.env.uid,
                ids=list(results),
                results=[
                    "\n".join(render_result(self.env, line) for line in lines)
                    for lines in results.values()
                ],
                data=[json.dumps(lines) for lines in results.values()],
            )
        )
        self.invalidate_recordset(
            ["state", "attempts", "error", "result", "result_data", "date_done"]
        )
        return True

    def _execute_one(self):
        self.ensure_one()
        rule = self.rule_id
        today = fields.Date.context_today(self)
        try:
            # a failing statement is recorded on the log and tried again later (e.g. another
            # worker adding the same follower meanwhile), not logged as a server error
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                results = self._run_actions(today)
        except Exception as error:  # noqa: BLE001 any failure is recorded, never blocks the rest
            _logger.info("Follow-up %s of rule %s failed: %s", self.id, rule.id, error)
            attempts = self.attempts + 1
            # sudo: the log is written by the module only (users have no write access)
            self.sudo().write(
                {
                    "state": "failed",
                    "attempts": attempts,
                    "error": str(error),
                    "next_attempt": fields.Datetime.now() + RETRY_DELAY * attempts,
                }
            )
            return False
        # sudo: the log is written by the module only (users have no write access)
        self.sudo().write(
            {
                "state": "done",
                "attempts": self.attempts + 1,
                "error": False,
                "result": "\n".join(render_result(self.env, line) for line in results),
                "result_data": results,
                "date_done": fields.Datetime.now(),
            }
        )
        return True

    def _run_actions(self, today):
        """Run the rule's actions on the log's record, as superuser in the rule's company."""
        rule = self.rule_id.with_company(self.company_id)
        env = rule.env(su=True, context=dict(rule.env.context, **FOLLOWUP_CONTEXT))
        record = env[self.res_model].browse(self.res_id).exists()
        if not record:
            raise ValueError(self.env._("The record no longer exists."))
        if not rule.action_ids:
            raise ValueError(self.env._("The rule has no action."))
        customer = env["res.partner"].browse(self.partner_id.id).commercial_partner_id
        return [
            action.with_env(env)._execute(record, customer, today) for action in rule.action_ids
        ]
