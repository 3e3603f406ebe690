"""Two follow-up workers at once, with real transactions (data committed, cleaned up after)."""

from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestFollowupWorkers(BaseCase):
    """Six customers whose renewal is near, one rule; workers in separate cursors."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
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
            self.partner_ids = partners.ids
            self.rule_id = rule.id
        self.addCleanup(self._delete_data)

    def _delete_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # a rule that fired keeps its log: the test's log goes first
            env["retention.followup.log"].search([("rule_id", "=", self.rule_id)]).unlink()
            env["retention.followup.rule"].browse(self.rule_id).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()

    def _rule(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})["retention.followup.rule"].browse(self.rule_id)

    def _logs(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})["retention.followup.log"].search(
            [("rule_id", "=", self.rule_id)]
        )

    def _activity_count(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT COUNT(*) FROM mail_activity WHERE res_model = 'res.partner' "
                "AND res_id = ANY(%s) AND summary = 'Worker test'",
                [self.partner_ids],
            )
            return cr.fetchone()[0]

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

    def test_two_workers_execute_each_log_once(self):
        with self.registry.cursor() as cr:
            self._rule(cr)._detect_events()
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            Log1 = api.Environment(cr1, SUPERUSER_ID, {})["retention.followup.log"]
            Log2 = api.Environment(cr2, SUPERUSER_ID, {})["retention.followup.log"]
            rule1, rule2 = self._rule(cr1), self._rule(cr2)
            first = Log1._claim_due(4, rule1)
            second = Log2._claim_due(4, rule2)
            self.assertEqual(len(first), 4)
            self.assertEqual(len(second), 2, "the second worker skips the logs the first holds")
            self.assertFalse(set(first.ids) & set(second.ids))
            first._execute_logs()
            second._execute_logs()
        # both committed: every customer got exactly one activity
        self.assertEqual(self._activity_count(), 6)
        with self.registry.cursor() as cr:
            self.assertEqual(set(self._logs(cr).mapped("state")), {"done"})
            # later runs (a rerun of the job, a third worker) do nothing more
            self.assertEqual(self._rule(cr)._run(), 0)
        self.assertEqual(self._activity_count(), 6)

    def test_crashed_worker_leaves_logs_pending(self):
        with self.registry.cursor() as cr:
            self._rule(cr)._detect_events()
        with self.assertRaises(RuntimeError), self.registry.cursor() as cr:
            self._rule(cr)._run()
            raise RuntimeError("worker killed")
        self.assertEqual(self._activity_count(), 0)
        with self.registry.cursor() as cr:
            self.assertEqual(set(self._logs(cr).mapped("state")), {"pending"})
            self.assertEqual(self._rule(cr)._run(), 6)
        self.assertEqual(self._activity_count(), 6)
