"""Screens that hold together (issue #17): the Health smart button opens the score's
breakdown, unanswered feedback has no score, a new account manager takes over the open
retention work, the follow-up log names what it created and opens its record."""

from pathlib import Path

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import (
    RETENTION_USER,
    TODAY,
    FeedbackCase,
    FollowupCase,
    RetentionCase,
    load_source,
)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestHealthButton(RetentionCase):
    def test_health_button_opens_the_breakdown(self):
        self.make_invoice(self.customer, "2026-05-10", 1000)
        self.recompute()
        user = self.new_company_user("hb_user", f"base.group_user,{RETENTION_USER}")
        form = self.env["res.partner"].with_user(user).get_views([(False, "form")])
        arch = form["views"]["form"]["arch"]
        self.assertIn('name="action_retention_view_health"', arch)
        action = self.contact.with_user(user).action_retention_view_health()
        self.assertEqual(action["res_model"], "res.partner")
        self.assertEqual(action["res_id"], self.customer.id)
        self.assertEqual(action["target"], "new")
        view = self.env["ir.ui.view"].browse(action["views"][0][0])
        self.assertEqual(
            view, self.env.ref("customer_retention.res_partner_view_form_retention_health")
        )
        dialog = self.env["res.partner"].with_user(user).get_views(action["views"])
        dialog_arch = dialog["views"]["form"]["arch"]
        self.assertIn('name="retention_health_explanation"', dialog_arch)
        self.assertIn('name="action_retention_recompute"', dialog_arch)
        self.assertIn('name="action_retention_view_invoices"', dialog_arch)
        # the breakdown the dialog shows: the factor table of this customer
        explanation = self.customer.with_user(user).retention_health_explanation
        self.assertIn("<table", explanation)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestUnansweredFeedbackHasNoScore(FeedbackCase):
    def stored_score(self, feedback):
        self.env.flush_all()
        self.env.cr.execute("SELECT score FROM retention_feedback WHERE id = %s", [feedback.id])
        return self.env.cr.fetchone()[0]

    def test_empty_until_answered_and_left_out_of_averages(self):
        waiting = self.request()
        self.assertIsNone(self.stored_score(waiting))
        self.assertFalse(waiting.read(["score"])[0]["score"])
        zero = self.request(self.other_customer)
        zero._answer(0)
        self.assertEqual(self.stored_score(zero), 0, "an NPS of 0 is an answer, kept as 0")
        self.assertEqual(zero.score, 0)
        eight = self.request()
        eight._answer(8)
        groups = self.Feedback._read_group(
            [("id", "in", (waiting | zero | eight).ids)], [], ["score:avg"]
        )
        self.assertEqual(groups[0][0], 4.0, "the unanswered request is not averaged in as 0")
        only_waiting = self.Feedback._read_group([("id", "=", waiting.id)], [], ["score:avg"])
        self.assertFalse(only_waiting[0][0])
        # the list shows no score for it
        arch = self.Feedback.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="score" invisible="state != \'answered\'"', arch)

    def test_upgrade_clears_the_zero_of_unanswered_requests(self):
        waiting, answered = self.request(), self.request(self.other_customer)
        answered._answer(0)
        self.env.flush_all()
        self.env.cr.execute("UPDATE retention_feedback SET score = 0 WHERE id = %s", [waiting.id])
        step = load_source(
            MIGRATIONS / "18.0.1.4.0" / "post-feedback_score_null.py", "migration_feedback_null"
        )
        step.migrate(self.env.cr, "18.0.1.3.0")
        self.env.invalidate_all()
        self.assertIsNone(self.stored_score(waiting))
        self.assertEqual(self.stored_score(answered), 0)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestAccountManagerHandOver(FollowupCase):
    def test_open_retention_activities_follow_the_new_manager(self):
        rule = self.make_rule("no_contact", days=30)
        self.set_figures(
            self.customer, retention_stage="active", retention_last_contact_date="2026-05-01"
        )
        project = self.make_project()
        project_rule = self.make_rule("project_start")
        rule._run()
        project_rule._run()
        on_customer = self.activities(self.customer)
        on_project = self.activities(project)
        self.assertEqual((on_customer | on_project).user_id, self.account_manager)
        manual = self.customer.activity_schedule(
            "mail.mail_activity_data_todo", summary="Own note", user_id=self.account_manager.id
        )
        manual.automated = False
        other = self.activities(self.other_customer)
        review = self.env["retention.review"].create(
            {
                "partner_id": self.customer.id,
                "date_planned": "2026-07-01",
                "user_id": self.account_manager.id,
            }
        )
        self.customer.retention_account_manager_id = self.named_user
        self.assertEqual(on_customer.user_id, self.named_user)
        self.assertEqual(on_project.user_id, self.named_user)
        self.assertEqual(review.user_id, self.named_user)
        self.assertEqual(review.activity_ids.user_id, self.named_user)
        self.assertEqual(manual.user_id, self.account_manager, "a hand-made activity stays")
        self.assertFalse(other.filtered(lambda a: a.user_id == self.named_user))
        note = self.customer.message_ids[:1]
        self.assertIn("moved from Ana Account to Nika Named", note.body)

    def test_account_manager_change_by_a_retention_user(self):
        rule = self.make_rule("no_contact", days=30)
        self.set_figures(
            self.customer, retention_stage="active", retention_last_contact_date="2026-05-01"
        )
        rule._run()
        activities = self.activities(self.customer)
        self.assertTrue(activities)
        editor = self.new_company_user(
            "fu_editor", f"base.group_user,base.group_partner_manager,{RETENTION_USER}"
        )
        self.customer.with_user(editor).retention_account_manager_id = self.named_user
        self.assertEqual(activities.user_id, self.named_user)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupLogNames(FollowupCase):
    def test_plan_log_names_the_activities_and_opens_the_project(self):
        rule = self.make_rule(
            "project_start",
            [
                {
                    "action_type": "plan",
                    "plan_id": self.env.ref("customer_retention.mail_activity_plan_kickoff").id,
                    "assignee": "project_manager",
                }
            ],
        )
        project = self.make_project()
        rule._run()
        log = self.logs(rule)
        self.assertEqual(log.state, "done", log.error)
        self.assertIn("Pati Project", log.result)
        self.assertNotIn("activities ", log.result)
        for activity in project.activity_ids:
            self.assertNotIn(f"{activity.id}", log.result.split(":", 1)[1].replace("2026", ""))
        action = log.with_user(self.project_manager).action_open_record()
        self.assertEqual(action["res_model"], "project.project")
        self.assertEqual(action["res_id"], project.id)
        arch = self.Log.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('action="action_open_record"', arch)

    def test_activity_log_has_no_id_and_a_gone_record_opens_the_log(self):
        rule = self.make_rule("project_start")
        project = self.make_project()
        rule._run()
        log = self.logs(rule)
        activity = self.activities(project)
        self.assertIn("Ana Account", log.result)
        self.assertNotIn(f"id {activity.id}", log.result)
        project.sudo().write({"active": False, "partner_id": False})
        project.sudo().unlink()
        action = log.action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), (self.Log._name, log.id))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRefreshAtOnce(FeedbackCase):
    """A call logged or a feedback answer refreshes the figures within a minute, as posting an
    invoice does: the customer is queued (the form says a refresh is pending) and the refresh
    job woken."""

    def triggers(self):
        cron = self.env.ref("customer_retention.ir_cron_retention_refresh_changed")
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def unqueue(self):
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM retention_profile_queue")
        self.customer.invalidate_recordset(["retention_refresh_pending"])

    def test_logging_a_call_refreshes_soon(self):
        self.make_invoice(self.customer, "2026-05-10", 1000)
        self.recompute()
        self.unqueue()
        before = self.triggers()
        call = self.customer.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.account_manager.id
        )
        self.assertFalse(self.customer.retention_refresh_pending, "a planned call is no contact")
        call.with_user(self.account_manager).action_feedback(feedback="Talked about renewal")
        self.customer.invalidate_recordset(["retention_refresh_pending"])
        self.assertTrue(self.customer.retention_refresh_pending)
        self.assertGreater(self.triggers(), before)
        # the job then counts the call as the last contact
        self.env["retention.profile.builder"]._process_queue()
        self.customer.invalidate_recordset()
        self.assertEqual(str(self.customer.retention_last_contact_date), TODAY)
        self.assertFalse(self.customer.retention_refresh_pending)

    def test_feedback_answer_refreshes_soon(self):
        feedback = self.request()
        self.unqueue()
        before = self.triggers()
        feedback._answer(9)
        self.customer.invalidate_recordset(["retention_refresh_pending"])
        self.assertTrue(self.customer.retention_refresh_pending)
        self.assertGreater(self.triggers(), before)
        arch = self.env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("o_retention_refresh_pending", arch)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRulePreview(FollowupCase):
    def test_new_rule_shows_what_it_would_catch_and_includes_older_events(self):
        self.set_figures(
            self.customer, retention_stage="active", retention_last_contact_date="2026-01-01"
        )
        self.set_figures(
            self.other_customer, retention_stage="active", retention_last_contact_date="2026-06-01"
        )
        rule = self.make_rule("no_contact", days=30, date_from=TODAY)
        # silent since January: due on 31 January, before Events From (today)
        self.assertEqual(rule.preview_customer_count, 0)
        self.assertEqual(rule.preview_older_count, 1)
        self.assertEqual(str(rule.preview_older_from), "2026-01-31")
        arch = self.Rule.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="action_include_older_events"', arch)
        self.assertFalse(self.Log.search([("rule_id", "=", rule.id)]), "a preview records nothing")
        rule.action_include_older_events()
        self.assertEqual(str(rule.date_from), "2026-01-31")
        rule.invalidate_recordset(["preview_customer_count", "preview_older_count"])
        self.assertEqual(rule.preview_customer_count, 1)
        self.assertEqual(rule.preview_older_count, 0)
        rule._run()
        self.assertEqual(self.logs(rule).partner_id, self.customer)

    def test_a_bad_filter_shows_no_count(self):
        rule = self.make_rule("no_contact", days=30)
        self.set_figures(
            self.customer, retention_stage="active", retention_last_contact_date="2026-05-01"
        )
        self.assertEqual(rule.preview_customer_count, 1)
        # a filter the form refuses, stored before (e.g. a field since removed)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE retention_followup_rule SET partner_domain = %s WHERE id = %s",
            ["[('no_such_field', '=', 1)]", rule.id],
        )
        rule.invalidate_recordset()
        self.assertEqual(rule.preview_customer_count, 0)

    def test_filter_match_count_counts_customers_not_contacts(self):
        Partner = self.env["res.partner"]
        ids = [self.customer.id, self.contact.id, self.other_customer.id]
        self.assertEqual(Partner.search_count([("id", "in", ids)]), 3)
        counting = Partner.with_context(retention_count_customers=True)
        self.assertEqual(counting.search_count([("id", "in", ids)]), 2)
        arch = self.Rule.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("retention_count_customers", arch)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestWeightChangeKeepsTheTrend(RetentionCase):
    def test_new_weights_are_not_a_customer_getting_worse(self):
        self.make_invoice(self.customer, "2026-05-10", 1000)
        self.recompute()
        before = self.customer.retention_health_score
        self.assertFalse(self.customer.retention_health_trend)
        # engagement only (no contact yet): the score moves because of the settings alone
        self.company.write(
            {
                "retention_weight_recency": 0,
                "retention_weight_trend": 0,
                "retention_weight_payment": 0,
                "retention_weight_satisfaction": 0,
                "retention_weight_delivery": 0,
                "retention_weight_engagement": 100,
            }
        )
        self.assertTrue(self.company.retention_weights_changed_on)
        self.recompute()
        self.customer.invalidate_recordset()
        self.assertNotEqual(self.customer.retention_health_score, before)
        self.assertFalse(self.customer.retention_health_trend, "no Falling for a weight change")
        self.assertIn("weights changed on", self.customer.retention_health_explanation)
        # a real change afterwards counts again
        after_weights = self.customer.retention_health_score
        self.customer.message_post(body="Called", message_type="comment")
        self.recompute()
        self.customer.invalidate_recordset()
        if self.customer.retention_health_score != after_weights:
            self.assertEqual(self.customer.retention_health_trend, "up")
            self.assertEqual(self.customer.retention_health_score_prev, after_weights)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRequestFeedbackDialog(FeedbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second = cls.env["res.partner"].create(
            {"name": "Levan Gelashvili", "parent_id": cls.customer.id, "email": "levan@bpl.example"}
        )
        cls.user = cls.new_company_user("fbd_user", f"base.group_user,{RETENTION_USER}")

    def dialog(self, partner=None, user=None):
        partner = (partner or self.customer).with_user(user or self.user)
        action = partner.action_retention_open_feedback_request()
        self.assertEqual(
            (action["res_model"], action["target"]), ("retention.feedback.request", "new")
        )
        Wizard = self.env[action["res_model"]].with_user(user or self.user)
        return Wizard.with_context(**action["context"]).create({})

    def test_defaults_then_the_chosen_contact_and_question(self):
        wizard = self.dialog()
        self.assertEqual(wizard.partner_id, self.customer)
        first = self.Feedback._contact_for(self.customer)
        self.assertEqual(wizard.contact_id, first, "nobody answered yet: the first email")
        self.assertEqual(wizard.kind, self.company.retention_feedback_kind or "nps")
        chosen = (self.contact | self.second) - first
        wizard.write({"contact_id": chosen.id, "kind": "csat"})
        wizard.action_send()
        sent = self.Feedback.search([("partner_id", "=", self.customer.id)])
        self.assertEqual((sent.contact_id, sent.kind, sent.state), (chosen, "csat", "requested"))
        # the last respondent is the next default
        sent.sudo()._answer(4)
        self.assertEqual(self.dialog().contact_id, chosen)
        # from a contact's form too, the customer is asked
        self.assertEqual(self.dialog(self.contact).partner_id, self.customer)

    def test_a_contact_of_another_customer_is_refused(self):
        wizard = self.dialog()
        wizard.contact_id = self.other_contact
        with self.assertRaisesRegex(UserError, "Choose a contact of Batumi Port Logistics"):
            wizard.action_send()
        self.assertFalse(self.Feedback.search([("partner_id", "=", self.customer.id)]))

    def test_button_opens_the_dialog(self):
        arch = self.env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="action_retention_open_feedback_request"', arch)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupLogLanguage(FollowupCase):
    def test_log_reads_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("ka_GE")
        rule = self.make_rule("project_start")
        self.make_project()
        rule._run()
        log = self.logs(rule)
        self.assertEqual(log.result_data[0]["key"], "activity")
        english = log.with_context(lang="en_US").result_display
        georgian = log.with_context(lang="ka_GE").result_display
        self.assertIn("Activity Follow up for Ana Account, due", english)
        self.assertIn("აქტივობა", georgian)
        self.assertIn("Ana Account", georgian)
        arch = self.Log.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="result_display"', arch)
