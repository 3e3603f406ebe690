"""Follow-up rules: every trigger with frozen dates, delays, assignees, the customer filter,
exactly once on reruns and edits, failures logged and retried, and company isolation."""

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TODAY, FollowupCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFollowupTriggers(FollowupCase):
    """Each trigger fires on the due day, on the right record, and not on the others."""

    def assertFired(self, rule, record, key=None):
        logs = self.logs(rule).filtered(lambda log: log.res_id == record.id)
        self.assertEqual(len(logs), 1, f"{rule.trigger} should fire once on {record.display_name}")
        self.assertEqual(logs.res_model, record._name)
        self.assertEqual(logs.state, "done", logs.error)
        if key:
            self.assertEqual(logs.event_key, key)
        self.assertEqual(len(self.activities(record)), 1)
        return logs

    def test_project_start(self):
        rule = self.make_rule("project_start")
        project = self.make_project()
        later = self.make_project(name="Next year", date_start="2026-09-01")
        rule._run()
        log = self.assertFired(rule, project, "start")
        self.assertEqual(log.partner_id, self.customer)
        self.assertFalse(self.logs(rule).filtered(lambda lg: lg.res_id == later.id))

    def test_project_start_launches_the_kickoff_plan(self):
        rule = self.make_rule(
            "project_start",
            [
                {
                    "action_type": "plan",
                    "plan_id": self.env.ref("customer_retention.mail_activity_plan_kickoff").id,
                    "assignee": "project_manager",
                    "delay_days": 2,
                }
            ],
        )
        project = self.make_project()
        rule._run()
        activities = project.activity_ids
        self.assertEqual(len(activities), 3)
        self.assertEqual(activities.user_id, self.project_manager)
        self.assertEqual(
            sorted(activities.mapped("date_deadline")),
            [self.to_date(d) for d in ("2026-06-17", "2026-06-19", "2026-06-24")],
        )
        self.assertIn("Project kickoff", self.logs(rule).result)

    def test_project_without_status_update(self):
        rule = self.make_rule("project_no_update", days=14)
        silent = self.make_project()  # started 2026-06-01: 14 days today
        recent = self.make_project(name="Recent", date_start="2026-06-10")
        rule._run()
        self.assertFired(rule, silent, "update-none")
        self.assertFalse(self.logs(rule).filtered(lambda lg: lg.res_id == recent.id))
        # an update restarts the count: it fires again 14 days after it, once
        update = self.env["project.update"].create(
            {"name": "Week 2", "project_id": silent.id, "status": "on_track"}
        )
        rule._run()
        self.assertEqual(len(self.logs(rule)), 1)
        with freeze_time("2026-06-29"):
            rule._run()
            rule._run()
        self.assertEqual(
            sorted(self.logs(rule).filtered(lambda lg: lg.res_id == silent.id).mapped("event_key")),
            [f"update-{update.id}", "update-none"],
        )

    def test_project_status_off_track(self):
        rule = self.make_rule("project_status", project_status="off_track")
        troubled = self.make_project()
        fine = self.make_project(name="Fine")
        update = self.env["project.update"].create(
            {"name": "Blocked", "project_id": troubled.id, "status": "off_track"}
        )
        self.env["project.update"].create(
            {"name": "Good", "project_id": fine.id, "status": "on_track"}
        )
        rule._run()
        self.assertFired(rule, troubled, f"status-{update.id}")
        self.assertEqual(len(self.logs(rule)), 1)

    def test_project_closed_days_after(self):
        rule = self.make_rule("project_closed", days=7)
        same_day = self.make_rule("project_closed", days=0)
        project = self.make_project()
        with freeze_time("2026-06-08"):
            project.action_archive()
            self.env.flush_all()
        self.assertEqual(project.retention_date_closed, self.to_date("2026-06-08"))
        with freeze_time("2026-06-14"):
            rule._run()
        self.assertFalse(self.logs(rule), "not yet: 6 days")
        rule._run()
        self.assertFired(rule, project, "closed-2026-06-08")
        same_day._run()  # 0 days: fires as soon as seen
        self.assertEqual(len(self.logs(same_day)), 1)

    def test_first_invoice(self):
        rule = self.make_rule("first_invoice")
        first = self.make_invoice(self.customer, "2026-06-10", 500)
        self.make_invoice(self.customer, "2026-06-12", 700)
        rule._run()
        self.assertFired(rule, self.customer, f"invoice-{first.id}")
        self.assertEqual(len(self.logs(rule)), 1, "only the first invoice counts")

    def test_invoice_paid(self):
        rule = self.make_rule("invoice_paid")
        paid = self.make_invoice(self.customer, "2026-06-01", 500)
        unpaid = self.make_invoice(self.customer, "2026-06-02", 500)
        self.pay(paid, "2026-06-12")
        rule._run()
        log = self.assertFired(rule, paid, "paid")
        self.assertEqual(log.event_date, self.to_date("2026-06-12"))
        self.assertFalse(self.activities(unpaid))

    def test_invoice_overdue(self):
        rule = self.make_rule("invoice_overdue", days=30)
        late = self.make_invoice(self.customer, "2026-04-10", 500, due="2026-05-10")
        recent = self.make_invoice(self.customer, "2026-05-01", 500, due="2026-06-01")
        rule._run()
        self.assertFired(rule, late, "overdue-2026-05-10")
        self.assertFalse(self.activities(recent))

    def test_no_contact(self):
        rule = self.make_rule("no_contact", days=30)
        self.set_figures(
            self.customer, retention_stage="active", retention_last_contact_date="2026-05-01"
        )
        self.set_figures(
            self.other_customer, retention_stage="active", retention_last_contact_date="2026-06-01"
        )
        rule._run()
        self.assertFired(rule, self.customer, "contact-2026-05-01")
        self.assertFalse(self.activities(self.other_customer))
        # a new contact, then silence again: a new event 30 days later
        self.set_figures(self.customer, retention_last_contact_date="2026-06-10")
        with freeze_time("2026-07-10"):
            rule._run()
        self.assertEqual(
            sorted(
                self.logs(rule)
                .filtered(lambda lg: lg.res_id == self.customer.id)
                .mapped("event_key")
            ),
            ["contact-2026-05-01", "contact-2026-06-10"],
        )

    def test_no_contact_never(self):
        rule = self.make_rule("no_contact", days=30)
        self.set_figures(
            self.customer, retention_stage="new", retention_customer_since="2026-05-01"
        )
        rule._run()
        self.assertFired(rule, self.customer, "contact-never")

    def test_stage_change(self):
        rule = self.make_rule("stage_change", target_stage="churned")
        self.set_figures(
            self.customer, retention_stage="churned", retention_stage_date="2026-06-10"
        )
        self.set_figures(
            self.other_customer, retention_stage="at_risk", retention_stage_date="2026-06-10"
        )
        rule._run()
        self.assertFired(rule, self.customer, "churned-2026-06-10")
        self.assertFalse(self.activities(self.other_customer))

    def test_health_drop(self):
        rule = self.make_rule("health_drop", health_drop=10)
        self.set_figures(
            self.customer,
            retention_health_score=55,
            retention_health_score_prev=80,
            retention_health_trend="down",
        )
        self.set_figures(
            self.other_customer,
            retention_health_score=75,
            retention_health_score_prev=80,
            retention_health_trend="down",
        )
        rule._run()
        self.assertFired(rule, self.customer)
        self.assertFalse(self.activities(self.other_customer))

    def test_renewal_on_customer(self):
        rule = self.make_rule("renewal_partner", days=30)
        self.customer.retention_renewal_date = "2026-07-10"
        self.other_customer.retention_renewal_date = "2026-08-30"
        rule._run()
        log = self.assertFired(rule, self.customer, "renewal-2026-07-10")
        self.assertEqual(log.event_date, self.to_date("2026-06-10"))
        self.assertFalse(self.activities(self.other_customer))

    def test_renewal_on_project(self):
        rule = self.make_rule("renewal_project", days=60)
        soon = self.make_project(retention_renewal_date="2026-08-01")
        later = self.make_project(name="Later", retention_renewal_date="2026-09-01")
        rule._run()
        self.assertFired(rule, soon, "renewal-2026-08-01")
        self.assertFalse(self.activities(later))

    def _complete_review(self, outcome):
        review = self.env["retention.review"].create(
            {"partner_id": self.customer.id, "user_id": self.account_manager.id}
        )
        review.outcome = outcome
        review.action_complete()
        return review

    def test_review_outcome_fires_at_once(self):
        rule = self.make_rule("review_outcome", review_outcome="renew")
        review = self._complete_review("renew")
        # no run needed: completing the review runs the rule
        self.assertFired(rule, review, "outcome-renew")

    def test_review_outcome_at_risk(self):
        rule = self.make_rule("review_outcome", review_outcome="at_risk")
        review = self._complete_review("at_risk")
        rule._run()
        self.assertFired(rule, review, "outcome-at_risk")

    def test_events_before_the_start_day_are_ignored(self):
        rule = self.make_rule("invoice_paid", date_from=TODAY)
        old = self.make_invoice(self.customer, "2026-05-01", 500)
        self.pay(old, "2026-05-05")
        rule._run()
        self.assertFalse(self.logs(rule))
        rule.date_from = "2026-05-01"
        rule._run()
        self.assertEqual(len(self.logs(rule)), 1)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFollowupActions(FollowupCase):
    """Delays, assignees, emails, the customer filter and the summary."""

    def _activity(self, rule, record):
        rule._run()
        log = self.logs(rule)
        self.assertEqual(log.state, "done", log.error)
        return record.activity_ids

    def test_delay_becomes_the_deadline(self):
        rule = self.make_rule(
            "first_invoice",
            [{"activity_type_id": self.todo.id, "assignee": "account_manager", "delay_days": 5}],
        )
        self.make_invoice(self.customer, "2026-06-10", 500)
        activity = self._activity(rule, self.customer)
        self.assertEqual(activity.date_deadline, self.to_date("2026-06-20"))
        self.assertEqual(activity.user_id, self.account_manager)

    def test_assignee_choices(self):
        project = self.make_project()
        cases = {
            "account_manager": self.account_manager,
            "project_manager": self.project_manager,
            "salesperson": self.salesperson,
            "user": self.named_user,
        }
        for assignee, expected in cases.items():
            action = {"activity_type_id": self.todo.id, "summary": assignee, "assignee": assignee}
            if assignee == "user":
                action["user_id"] = self.named_user.id
            self.make_rule("project_start", [action])._run()
            activity = project.activity_ids.filtered(lambda a, s=assignee: a.summary == s)
            self.assertEqual(activity.user_id, expected, assignee)

    def test_salesperson_of_the_invoice_first(self):
        rule = self.make_rule(
            "invoice_paid", [{"activity_type_id": self.todo.id, "assignee": "salesperson"}]
        )
        invoice = self.make_invoice(self.customer, "2026-06-01", 500, post=False)
        invoice.invoice_user_id = self.named_user
        invoice.action_post()
        self.pay(invoice, "2026-06-10")
        self.assertEqual(self._activity(rule, invoice).user_id, self.named_user)

    def test_project_manager_only_on_project_rules(self):
        with self.assertRaisesRegex(ValidationError, "Only rules about projects"):
            self.make_rule(
                "first_invoice",
                [{"activity_type_id": self.todo.id, "assignee": "project_manager"}],
            )

    def test_email_template(self):
        template = self.env.ref("customer_retention.mail_template_followup_welcome")
        rule = self.make_rule(
            "first_invoice", [{"action_type": "email", "template_id": template.id}]
        )
        self.customer.email = "hello@bpl.example"
        self.make_invoice(self.customer, "2026-06-10", 500)
        rule._run()
        log = self.logs(rule)
        self.assertEqual(log.state, "done", log.error)
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("Welcome aboard", mail.subject)
        # names, not ids (issue #17): the template and who it goes to
        self.assertIn("queued to", log.result)
        self.assertIn(self.customer.display_name, log.result)
        self.assertNotIn(str(mail.id), log.result)

    def test_template_and_plan_must_fit_the_record(self):
        feedback = self.env.ref("customer_retention.mail_template_followup_feedback")
        with self.assertRaisesRegex(ValidationError, "another kind of record"):
            self.make_rule("first_invoice", [{"action_type": "email", "template_id": feedback.id}])
        kickoff = self.env.ref("customer_retention.mail_activity_plan_kickoff")
        with self.assertRaisesRegex(ValidationError, "another kind of record"):
            self.make_rule(
                "no_contact",
                [{"action_type": "plan", "plan_id": kickoff.id, "assignee": "account_manager"}],
                days=30,
            )

    def test_customer_filter(self):
        rule = self.make_rule("first_invoice", partner_domain=f"[('id', '=', {self.customer.id})]")
        self.make_invoice(self.customer, "2026-06-10", 500)
        self.make_invoice(self.other_customer, "2026-06-10", 500)
        rule._run()
        self.assertEqual(self.logs(rule).partner_id, self.customer)
        self.assertFalse(self.other_customer.activity_ids)

    def test_invalid_filter_refused(self):
        with self.assertRaisesRegex(ValidationError, "customer filter .* not valid"):
            self.make_rule("first_invoice", partner_domain="[('no_such_field', '=', 1)]")
        with self.assertRaisesRegex(ValidationError, "customer filter .* not valid"):
            self.make_rule("first_invoice", partner_domain="[('name', '=',")

    def test_filter_with_dates(self):
        # plain values only (issue #15): no context_today() nor uid in a filter
        rule = self.make_rule(
            "first_invoice",
            partner_domain="[('retention_renewal_date', '>', '2026-06-25'), "
            f"('user_id', '!=', {self.named_user.id})]",
        )
        self.customer.retention_renewal_date = "2026-07-01"
        self.other_customer.retention_renewal_date = "2026-06-20"
        self.make_invoice(self.customer, "2026-06-10", 500)
        self.make_invoice(self.other_customer, "2026-06-10", 500)
        rule._run()
        self.assertEqual(self.logs(rule).partner_id, self.customer)

    def test_days_validated(self):
        with self.assertRaisesRegex(ValidationError, "between 1 and 3650"):
            self.make_rule("no_contact", days=0)
        self.make_rule("project_closed", days=0)  # allowed: the day it closes

    def test_summary_in_plain_language(self):
        rule = self.make_rule(
            "project_no_update",
            [
                {
                    "activity_type_id": self.todo.id,
                    "summary": "Send a status update",
                    "assignee": "project_manager",
                }
            ],
            days=14,
        )
        self.assertEqual(
            rule.summary,
            "When a project has had no status update for 14 days, schedule 'Send a status "
            "update' for the project manager (due the same day).",
        )

    def test_partner_and_project_count_their_followups(self):
        rule = self.make_rule("project_start")
        project = self.make_project()
        rule._run()
        self.assertEqual(project.retention_followup_count, 1)
        self.assertEqual(self.customer.retention_followup_count, 1)
        self.assertEqual(self.contact.retention_followup_count, 1)
        action = project.action_retention_view_followups()
        self.assertEqual(self.Log.search(action["domain"]), self.logs(rule))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFollowupExactlyOnce(FollowupCase):
    def test_rerun_and_edit_do_not_fire_again(self):
        rule = self.make_rule("project_start")
        project = self.make_project()
        rule._run()
        rule._run()
        self.env["retention.followup.rule"]._cron_run_followups()
        project.write({"name": "Harbour audit (renamed)", "description": "edited"})
        rule._run()
        self.assertEqual(len(self.logs(rule)), 1)
        self.assertEqual(len(self.activities(project)), 1)

    def test_cron_entry_point(self):
        rule = self.make_rule("first_invoice")
        self.make_invoice(self.customer, "2026-06-10", 500)
        done, remaining = self.env["retention.followup.rule"]._cron_run_followups()
        self.assertEqual((done, remaining), (1, 0))
        self.assertEqual(self.logs(rule).state, "done")
        rule.active = False
        self.make_invoice(self.other_customer, "2026-06-10", 500)
        self.env["retention.followup.rule"]._cron_run_followups()
        self.assertEqual(len(self.logs(rule)), 1, "an archived rule does not fire")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFollowupFailures(FollowupCase):
    @mute_logger("odoo.addons.customer_retention.models.followups.retention_followup_log")
    def test_missing_assignee_logged_and_retried(self):
        rule = self.make_rule("first_invoice")
        # nobody looks after it: no account manager, no salesperson, no fallback reviewer
        self.other_customer.write({"retention_account_manager_id": False, "user_id": False})
        self.make_invoice(self.customer, "2026-06-10", 500)
        self.make_invoice(self.other_customer, "2026-06-10", 500)
        rule._run()
        failed = self.logs(rule).filtered(lambda lg: lg.state == "failed")
        done = self.logs(rule).filtered(lambda lg: lg.state == "done")
        self.assertEqual(failed.partner_id, self.other_customer)
        self.assertEqual(done.partner_id, self.customer, "the others are not blocked")
        self.assertIn("Nobody looks after Zestafoni Metals", failed.error)
        self.assertEqual(failed.attempts, 1)
        self.assertFalse(self.other_customer.activity_ids)
        # not retried before its delay; then retried once the customer has a manager
        rule._run()
        self.assertEqual(failed.attempts, 1)
        self.other_customer.retention_account_manager_id = self.named_user
        with freeze_time("2026-06-15 01:30:00"):
            rule._run()
        self.assertEqual(failed.state, "done")
        self.assertEqual(self.activities(self.other_customer).user_id, self.named_user)

    @mute_logger("odoo.addons.customer_retention.models.followups.retention_followup_log")
    def test_broken_template_logged_not_crashing(self):
        broken = self.env["mail.template"].create(
            {
                "name": "Broken",
                "model_id": self.env.ref("base.model_res_partner").id,
                "subject": "{{ object.no_such_field.boom }}",
                "body_html": "<p>Hi</p>",
                "partner_to": "{{ object.id }}",
            }
        )
        rule = self.make_rule(
            "first_invoice",
            [
                {
                    "activity_type_id": self.todo.id,
                    "summary": "Follow up",
                    "assignee": "user",
                    "user_id": self.named_user.id,
                },
                {"action_type": "email", "template_id": broken.id},
            ],
        )
        good = self.make_rule("first_invoice")
        self.make_invoice(self.customer, "2026-06-10", 500)
        rule._run()
        good._run()
        log = self.logs(rule)
        self.assertEqual(log.state, "failed")
        self.assertTrue(log.error)
        self.assertEqual(
            len(self.activities(self.customer)),
            1,
            "the failed follow-up's activity was rolled back; the other rule's stays",
        )
        self.assertEqual(self.logs(good).state, "done")

    @mute_logger("odoo.addons.customer_retention.models.followups.retention_followup_log")
    def test_gives_up_after_five_attempts(self):
        rule = self.make_rule("first_invoice")
        self.customer.write({"retention_account_manager_id": False, "user_id": False})
        self.make_invoice(self.customer, "2026-06-10", 500)
        for hour in range(0, 40, 2):
            with freeze_time(f"2026-06-{15 + hour // 24} {hour % 24:02d}:00:00"):
                rule._run()
        log = self.logs(rule)
        self.assertEqual((log.state, log.attempts), ("failed", 5))
        # the admin fixes the customer and retries by hand
        self.customer.retention_account_manager_id = self.account_manager
        log.action_retry()
        self.assertEqual(log.state, "done")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFollowupCompanies(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.add_other_company("Kutaisi Branch")

    def test_rule_sees_only_its_company(self):
        rule_b = self.make_rule("first_invoice", company_id=self.company_b.id)
        rule_a = self.make_rule("first_invoice")
        invoice_a = self.make_invoice(self.customer, "2026-06-10", 500)
        rule_b._run()
        self.assertFalse(self.logs(rule_b), "company B's rule ignores company A's invoices")
        invoice_b = self.make_invoice(self.customer, "2026-06-11", 800, company=self.company_b)
        (rule_a | rule_b)._run()
        self.assertEqual(self.logs(rule_a).event_key, f"invoice-{invoice_a.id}")
        self.assertEqual(self.logs(rule_b).event_key, f"invoice-{invoice_b.id}")
        self.assertEqual(self.logs(rule_b).company_id, self.company_b)

    def test_company_dependent_figures_read_in_the_rule_company(self):
        rule_b = self.make_rule(
            "stage_change", target_stage="churned", company_id=self.company_b.id
        )
        self.set_figures(
            self.customer, retention_stage="churned", retention_stage_date="2026-06-10"
        )
        rule_b._run()
        self.assertFalse(self.logs(rule_b))
        self.set_figures(
            self.customer,
            company=self.company_b,
            retention_stage="churned",
            retention_stage_date="2026-06-12",
        )
        rule_b._run()
        self.assertEqual(self.logs(rule_b).event_key, "churned-2026-06-12")

    def test_user_sees_only_allowed_companies_logs(self):
        rule_b = self.make_rule("first_invoice", company_id=self.company_b.id)
        self.make_invoice(self.customer, "2026-06-11", 800, company=self.company_b)
        rule_b._run()
        self.assertEqual(len(self.logs(rule_b)), 1)
        logs = self.Log.with_user(self.account_manager).search([("rule_id", "=", rule_b.id)])
        self.assertFalse(logs)
