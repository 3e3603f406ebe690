"""The follow-up job: two detecting workers with real transactions (data committed, cleaned
up after), and the execution of the due logs on the job helper (retention.job.mixin, whose
two workers, crash, budget and progress are tested in test_job_mixin.py)."""

from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.customer_retention.models.followups import retention_followup_log

from .common import JobWorkersCase, counting_commits, one_batch_per_call, run_cron

FOLLOWUP_CRON = "customer_retention.ir_cron_retention_followups"


def renewal_rule_and_customers(env):
    """Six customers whose renewal is near, and one rule giving each an activity."""
    today = fields.Date.context_today(env["res.partner"])
    partners = env["res.partner"].create(
        [
            {
                "name": f"Followup worker test {i}",
                "is_company": True,
                "retention_renewal_date": today + timedelta(days=10),
            }
            for i in range(6)
        ]
    )
    rule = env["retention.followup.rule"].create(
        {
            "name": "Worker test renewal",
            "trigger": "renewal_partner",
            "days": 30,
            "company_id": env.ref("base.main_company").id,
            "action_ids": [
                Command.create(
                    {
                        "activity_type_id": env.ref("mail.mail_activity_data_todo").id,
                        "summary": "Worker test",
                        "assignee": "user",
                        "user_id": env.ref("base.user_admin").id,
                    }
                )
            ],
        }
    )
    return rule, partners


@tagged("post_install", "-at_install")
class TestFollowupWorkers(JobWorkersCase):
    """Workers in separate cursors detect the rule's events."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            rule, partners = renewal_rule_and_customers(self.env_of(cr))
            self.partner_ids = partners.ids
            self.rule_id = rule.id
        self.addCleanup(self._delete_data)

    def _delete_data(self):
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            # a rule that fired keeps its log: the test's log goes first
            env["retention.followup.log"].search([("rule_id", "=", self.rule_id)]).unlink()
            env["retention.followup.rule"].browse(self.rule_id).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()

    def _rule(self, cr):
        return self.env_of(cr)["retention.followup.rule"].browse(self.rule_id)

    def _logs(self, cr):
        return self.env_of(cr)["retention.followup.log"].search([("rule_id", "=", self.rule_id)])

    def test_two_workers_detect_each_event_once(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            cr2.execute("SELECT 1")  # the second worker's snapshot is taken now
            self.assertEqual(self._rule(cr1)._detect_events(), 6)
            # while the first worker holds the rule, the second skips it without waiting
            self.assertEqual(self._rule(cr2)._detect_events(), 0)
            cr1.commit()
            # committed after the second worker's snapshot: its insert is refused, caught
            with mute_logger("odoo.sql_db"):
                self.assertEqual(self._rule(cr2)._detect_events(), 0)
            cr2.commit()
        with self.registry.cursor() as cr:
            self.assertEqual(len(self._logs(cr)), 6)
            self.assertEqual(self._rule(cr)._detect_events(), 0, "a rerun adds nothing")


@tagged("post_install", "-at_install")
class TestFollowupJobOnTheHelper(TransactionCase):
    def test_due_logs_run_in_committed_batches_with_progress(self):
        rule, partners = renewal_rule_and_customers(self.env)
        Log = self.env["retention.followup.log"]
        with (
            patch.object(retention_followup_log, "CLAIM_BATCH_SIZE", 2),
            counting_commits() as commits,
        ):
            with one_batch_per_call():
                self.assertEqual(run_cron(self.env, FOLLOWUP_CRON), (2, 4))
            self.assertEqual(commits.count("retention.followup.log"), 1, "the batch committed")
            self.assertEqual(
                Log.search_count([("rule_id", "=", rule.id), ("state", "=", "done")]), 2
            )
            # the next calls go on with the logs left; a rerun detects nothing new
            self.assertEqual(run_cron(self.env, FOLLOWUP_CRON), (4, 0))
        self.assertEqual(commits.count("retention.followup.log"), 3, "one commit per batch")
        logs = Log.search([("rule_id", "=", rule.id)])
        self.assertEqual(set(logs.mapped("state")), {"done"})
        self.assertEqual(len(logs), 6)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]
            ),
            6,
        )
