"""Security of the follow-ups (issue #15), each test acting as the attacking role: a Retention
Manager of company A only, a Retention User, an employee with Contact Creation, a portal user.

- the customer filter is a plain literal domain, never evaluated with a record or ``env``;
- the numbers users set are bounded, and one failing rule does not stop the job;
- every button checks access rights and record rules on its records before any sudo();
- a rule that has fired keeps its history; logs and job fields are written by the module only.
"""

from pathlib import Path

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RETENTION_MANAGER, RETENTION_USER, TODAY, FollowupCase, load_source

RULE_MODULE = "odoo.addons.customer_retention.models.followups.retention_followup_rule"
LOG_MODULE = "odoo.addons.customer_retention.models.followups.retention_followup_log"
MIGRATION = Path(__file__).parent.parent / "migrations/18.0.1.3.0/post-followup_filters.py"


class FollowupSecurityCase(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.add_other_company("Poti Branch")
        user = cls.new_company_user
        cls.manager_a = user("sec_fu_manager", RETENTION_MANAGER)
        cls.retention_user = user("sec_fu_user", RETENTION_USER)
        cls.contact_creator = user("sec_fu_contacts", "base.group_user,base.group_partner_manager")
        cls.portal = user("sec_fu_portal", "base.group_portal")
        cls.rule_a = cls.make_rule("first_invoice")
        cls.rule_b = cls.make_rule("first_invoice", company_id=cls.company_b.id)

    def fire(self, rule, company=None):
        """One event of the rule, recorded (a failed log: the customer has no manager)."""
        customer = self.env["res.partner"].create({"name": "No manager", "is_company": True})
        self.make_invoice(customer, "2026-06-10", 100, company=company)
        with mute_logger(LOG_MODULE):
            rule._run()
        return self.logs(rule)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestCustomerFilter(FollowupSecurityCase):
    """Finding 1: the customer filter is a plain domain, evaluated with plain values only."""

    GRANT = "[('id', '!=', user.write({{'groups_id': [(4, {group})]}}) and 0)]"
    LEAK = "[('id', '=', int(user.env['ir.config_parameter'].get_param('database.uuid')))]"

    def test_filter_cannot_make_a_manager_administrator(self):
        system = self.env.ref("base.group_system")
        payload = self.GRANT.format(group=system.id)
        as_manager = self.rule_a.with_user(self.manager_a)
        with self.assertRaisesRegex(ValidationError, "plain list of conditions"):
            as_manager.write({"partner_domain": payload})
        with self.assertRaisesRegex(ValidationError, "plain list of conditions"):
            self.Rule.with_user(self.manager_a).create(
                {"name": "Escalate", "trigger": "first_invoice", "partner_domain": payload}
            )
        self.assertFalse(self.manager_a.has_group("base.group_system"))

    def test_stored_payload_is_never_evaluated(self):
        """A filter stored before the fix: read (summary) and the job do not evaluate it."""
        system = self.env.ref("base.group_system")
        self.env.cr.execute(
            "UPDATE retention_followup_rule SET partner_domain = %s WHERE id = %s",
            [self.GRANT.format(group=system.id), self.rule_a.id],
        )
        self.rule_a.invalidate_recordset()
        self.assertIn("Only for customers", self.rule_a.with_user(self.manager_a).summary)
        self.make_invoice(self.customer, "2026-06-10", 500)
        with mute_logger(RULE_MODULE):
            self.Rule._cron_run_followups()
        self.assertFalse(self.manager_a.has_group("base.group_system"))
        self.assertFalse(self.logs(self.rule_a), "an invalid filter lets nothing through")
        self.assertIn("customer filter", self.rule_a.last_error)

    def test_filter_error_does_not_echo_a_system_parameter(self):
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        with self.assertRaises(ValidationError) as caught:
            self.rule_a.with_user(self.manager_a).write({"partner_domain": self.LEAK})
        self.assertNotIn(uuid, str(caught.exception))
        self.assertNotIn(uuid.split("-")[0], str(caught.exception))
        self.assertIn("plain list of conditions", str(caught.exception))

    def test_expressions_refused_literals_accepted(self):
        as_manager = self.rule_a.with_user(self.manager_a)
        for text in (
            "[('user_id', '=', uid)]",
            "[('create_date', '>', context_today().strftime('%Y-%m-%d'))]",
            "[('id', 'in', [1, 2][0:1])]",
            "[('name', '=', 'a' + 'b')]",
            "{'a': 1}",
            "[('name', '=', {'a': 1})]",
            "['name']",
            "[('name', 'boom', 1)]",
            "__import__('os')",
        ):
            with self.assertRaises(ValidationError, msg=text):
                as_manager.write({"partner_domain": text})
        # what the domain editor writes
        as_manager.write(
            {
                "partner_domain": "['|', ('retention_stage', 'in', ['new', 'active']), "
                "'!', ('name', 'ilike', 'test'), ('parent_id', '=', False), "
                "('retention_renewal_date', '>=', '2026-01-01')]"
            }
        )
        as_manager.write({"partner_domain": '[("child_ids", "any", [("email", "!=", False)])]'})
        as_manager.write({"partner_domain": ""})
        self.assertFalse(self.rule_a.last_error)

    def test_unknown_fields_and_unreadable_fields_refused_without_values(self):
        as_manager = self.rule_a.with_user(self.manager_a)
        with self.assertRaisesRegex(ValidationError, "no_such_field"):
            as_manager.write({"partner_domain": "[('parent_id.no_such_field', '=', 1)]"})
        # a field of contacts the manager may not read (invoicing figures) cannot be used to
        # learn its values through what the rule fires on
        hidden = [
            name
            for name, field in self.env["res.partner"]._fields.items()
            if field.store
            and field.groups
            and field.type in ("float", "monetary")
            and not field.is_accessible(as_manager.env)
        ]
        self.assertTrue(hidden)
        with self.assertRaisesRegex(ValidationError, "not allowed to read"):
            as_manager.write({"partner_domain": f"[('{hidden[0]}', '>', 1000)]"})

    def test_migration_deactivates_rules_with_expressions(self):
        migration = load_source(MIGRATION, "followup_filters")
        dynamic = self.make_rule("first_invoice")
        literal = self.make_rule("first_invoice")
        old_text = "[('user_id', '!=', uid)]"
        self.env.cr.execute(
            "UPDATE retention_followup_rule SET partner_domain = %s WHERE id = %s",
            [old_text, dynamic.id],
        )
        self.env.cr.execute(
            "UPDATE retention_followup_rule SET partner_domain = %s WHERE id = %s",
            ["[('is_company', '=', True)]", literal.id],
        )
        with mute_logger("odoo.addons.customer_retention.migrations"):
            migration.migrate(self.env.cr, "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertFalse(dynamic.active)
        self.assertIn(old_text, dynamic.last_error)
        dynamic._check_partner_domain()  # the new filter is valid, and lets no customer through
        self.assertEqual(dynamic._parse_domain(), [("id", "=", 0)])
        self.assertTrue(literal.active)
        self.assertEqual(literal.partner_domain, "[('is_company', '=', True)]")
        self.assertFalse(literal.last_error)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestNumbersAndIsolation(FollowupSecurityCase):
    """Finding 6: bounded numbers; a failing rule is recorded on the rule, the others go on."""

    def test_numbers_are_bounded(self):
        as_manager = self.rule_a.with_user(self.manager_a)
        cases = [
            ({"trigger": "no_contact", "days": 2147483647}, "between 1 and 3650"),
            ({"trigger": "project_closed", "days": 3651}, "between 0 and 3650"),
            ({"trigger": "health_drop", "days": 30, "health_drop": 101}, "between 1 and 100"),
            ({"trigger": "health_drop", "days": 30, "health_drop": 0}, "between 1 and 100"),
        ]
        for values, message in cases:
            with self.assertRaisesRegex(ValidationError, message, msg=values):
                as_manager.write(values)
        with self.assertRaisesRegex(ValidationError, "between 0 and 3650"):
            as_manager.action_ids.write({"delay_days": 2147483647})
        as_manager.write({"trigger": "no_contact", "days": 3650})

    @mute_logger(RULE_MODULE, "odoo.sql_db")
    def test_failing_rule_does_not_stop_the_others(self):
        broken = self.make_rule("invoice_overdue", days=30, sequence=1)  # runs first
        # a value stored before the bounds existed
        self.env.cr.execute(
            "UPDATE retention_followup_rule SET days = 2147483647 WHERE id = %s", [broken.id]
        )
        broken.invalidate_recordset()
        self.make_invoice(self.customer, "2026-04-01", 500, due="2026-04-01")
        self.make_invoice(self.customer, "2026-06-10", 500, company=self.company_b)
        self.Rule._cron_run_followups()
        self.assertEqual(len(self.logs(self.rule_a)), 1, "the rules after it still ran")
        self.assertEqual(len(self.logs(self.rule_b)), 1, "another company's rules still ran")
        self.assertTrue(broken.last_error)
        self.assertTrue(broken.last_error_date)
        # the rule's managers see it; then a fix clears it at the next run
        self.assertTrue(broken.with_user(self.manager_a).last_error)
        broken.days = 30
        self.Rule._cron_run_followups()
        self.assertFalse(broken.last_error)
        self.assertFalse(broken.last_error_date)
        self.assertEqual(len(self.logs(broken)), 1)

    def test_job_fields_are_written_by_the_module_only(self):
        self.rule_a.sudo().write({"last_error": "boom"})
        for user in (self.manager_a, self.retention_user):
            with self.assertRaises(AccessError, msg=user.login):
                self.rule_a.with_user(user).write({"last_error": False})
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.manager_a).create(
                {"name": "Forged", "trigger": "first_invoice", "last_error": "forged"}
            )
        self.assertEqual(self.rule_a.last_error, "boom")
        copy = self.rule_a.with_user(self.manager_a).copy()
        self.assertFalse(copy.last_error)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestButtons(FollowupSecurityCase):
    """Finding 7: each button checks rights and company rules on its records before sudo()."""

    def test_manager_cannot_run_another_companys_rule(self):
        self.make_invoice(self.customer, "2026-06-10", 800, company=self.company_b)
        with self.assertRaises(AccessError):
            self.rule_b.with_user(self.manager_a).action_run_now()
        self.assertFalse(self.logs(self.rule_b))
        with self.assertRaises(AccessError):
            self.rule_b.with_user(self.manager_a).action_view_logs()
        # nor can the other roles run any rule
        for user in (self.retention_user, self.contact_creator, self.portal):
            with self.assertRaises(AccessError, msg=user.login):
                self.rule_a.with_user(user).action_run_now()
        # the manager's own company: fine
        self.make_invoice(self.customer, "2026-06-10", 800)
        self.rule_a.with_user(self.manager_a).action_run_now()
        self.assertEqual(len(self.logs(self.rule_a)), 1)

    def test_retry_and_open_check_the_log(self):
        log_b = self.fire(self.rule_b, company=self.company_b)
        log_a = self.fire(self.rule_a)
        self.assertEqual((log_a.state, log_b.state), ("failed", "failed"))
        with self.assertRaises(AccessError):
            log_b.with_user(self.manager_a).action_retry()
        with self.assertRaises(AccessError):
            log_b.with_user(self.manager_a).action_open_record()
        with self.assertRaises(AccessError):
            log_a.with_user(self.retention_user).action_retry()
        self.assertEqual((log_a.state, log_b.state), ("failed", "failed"))
        # the manager of the rule's company may retry, once the customer is fixed
        log_a.partner_id.retention_account_manager_id = self.account_manager
        log_a.with_user(self.manager_a).action_retry()
        self.assertEqual(log_a.state, "done", log_a.error)
        self.assertEqual(log_b.state, "failed")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestHistory(FollowupSecurityCase):
    """Finding 8 and the sweep: the log is history, written by the module only."""

    def test_rule_that_fired_cannot_be_deleted(self):
        logs = self.fire(self.rule_a)
        with self.assertRaisesRegex(UserError, "archive it"):
            self.rule_a.with_user(self.manager_a).unlink()
        with self.assertRaisesRegex(UserError, "archive it"):
            self.rule_a.unlink()
        self.assertTrue(logs.exists())
        self.rule_a.with_user(self.manager_a).action_archive()
        self.assertTrue(logs.exists())
        unused = self.make_rule("first_invoice")
        unused.with_user(self.manager_a).unlink()
        self.assertFalse(unused.exists())

    def test_logs_cannot_be_forged_or_erased(self):
        log = self.fire(self.rule_a)
        for user in (self.manager_a, self.retention_user):
            as_user = log.with_user(user)
            self.assertEqual(as_user.state, "failed")
            for values in (
                {"state": "pending"},
                {"attempts": 0, "next_attempt": "2026-06-15 00:00:00"},
                {"state": "done", "result": "Called the customer"},
            ):
                with self.assertRaises(AccessError, msg=f"{user.login} {values}"):
                    as_user.write(values)
            with self.assertRaises(AccessError, msg=user.login):
                as_user.unlink()
            with self.assertRaises(AccessError, msg=user.login):
                self.Log.with_user(user).create(
                    {
                        "rule_id": self.rule_a.id,
                        "company_id": self.company.id,
                        "res_model": "res.partner",
                        "res_id": self.customer.id,
                        "event_key": "forged",
                        "state": "done",
                    }
                )
        # nor through the rule's one2many
        with self.assertRaises(AccessError):
            self.rule_a.with_user(self.manager_a).write({"log_ids": [Command.delete(log.id)]})
        with self.assertRaises(AccessError):
            self.rule_a.with_user(self.manager_a).write(
                {"log_ids": [Command.update(log.id, {"state": "done"})]}
            )
        self.assertEqual((log.state, log.attempts), ("failed", 1))

    def test_other_roles_see_no_rule_nor_log(self):
        log = self.fire(self.rule_a)
        for user in (self.contact_creator, self.portal):
            with self.assertRaises(AccessError, msg=user.login):
                self.rule_a.with_user(user).read(["partner_domain"])
            with self.assertRaises(AccessError, msg=user.login):
                log.with_user(user).read(["state"])
            with self.assertRaises(AccessError, msg=user.login):
                self.Rule.with_user(user).create({"name": "Mine", "trigger": "first_invoice"})

    def test_log_names_only_records_the_user_may_read(self):
        """A Retention User without invoicing rights does not learn invoice names from logs."""
        rule = self.make_rule("invoice_overdue", days=30)
        invoice = self.make_invoice(self.customer, "2026-04-01", 500, due="2026-04-01")
        rule._run()
        log = self.logs(rule)
        self.assertEqual(log.record_name, invoice.display_name)
        self.assertNotEqual(log.with_user(self.retention_user).record_name, invoice.display_name)
        self.assertNotIn(invoice.name, log.with_user(self.retention_user).record_name or "")
