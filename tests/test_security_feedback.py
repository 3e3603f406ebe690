"""Customer feedback, attacked by each role (issue #15): a Retention User, a Retention Manager of
company A only, an employee with Contact Creation, a portal user and a public visitor.

- the answer and workflow fields are written by the module only (the public page, the expiry
  job, "Send again"); a manager may correct them, logged in the chatter; some never;
- a request's company is one of the writer's companies;
- the link's token opens the feedback page only, never the request's chatter (/mail routes);
- deleting a contact or a customer keeps the answers;
- the public page takes a few answers per hour per link, and a changed answer adds no note;
- the public methods check the caller's rights before working as superuser.
"""

import json
from datetime import timedelta
from pathlib import Path

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import (
    RETENTION_MANAGER,
    RETENTION_USER,
    TODAY,
    FeedbackCase,
    FeedbackPageMixin,
    load_source,
)

#: The stored secret of the emailed link.
TOKEN_FIELD = "feedback_token"


def token_of(feedback):
    return feedback.sudo()[TOKEN_FIELD]


class FeedbackRolesCase(FeedbackCase):
    """The roles of the issue, a second company and one answered request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Samarkand Branch")["company"]
        user = cls.new_company_user
        cls.retention_user = user("sf_user", f"base.group_user,{RETENTION_USER}")
        cls.manager_a = user("sf_manager", f"base.group_user,{RETENTION_MANAGER}")
        cls.contact_creator = user("sf_contacts", "base.group_user,base.group_partner_manager")
        cls.portal = user("sf_portal", "base.group_portal")
        cls.second_contact = cls.env["res.partner"].create(
            {"name": "Levan Gelashvili", "parent_id": cls.customer.id, "email": "levan@bpl.example"}
        )

    def setUp(self):
        super().setUp()
        self.open_request = self.request()
        self.answered = self.request()
        self.answered._answer(9, "Good work")

    def answer_notes(self, feedback):
        """The notes the module posts as the contact when they answer."""
        return feedback.message_ids.filtered(
            lambda m: (
                m.author_id == feedback.contact_id and m.subtype_id == self.env.ref("mail.mt_note")
            )
        )

    def write_as(self, user, feedback, values):
        """Write as ``user``; AccessError expected, nothing stored."""
        with self.assertRaises(AccessError) as caught, self.env.cr.savepoint():
            feedback.with_user(user).write(values)
        return str(caught.exception)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackWorkflowFields(FeedbackRolesCase):
    """Finding 4: the answer and the workflow of a request cannot be forged through RPC."""

    def test_retention_user_cannot_forge_an_answer(self):
        now = fields.Datetime.now()
        for field, value in (
            ("state", "answered"),
            ("score", 10),
            ("comment", "Forged praise"),
            ("date_answered", now),
            ("kind", "csat"),
            ("contact_id", self.second_contact.id),
        ):
            with self.subTest(field=field):
                message = self.write_as(self.retention_user, self.open_request, {field: value})
                self.assertIn("Retention Manager", message)
        # the forged answer in one write, on an answered request too
        self.write_as(self.retention_user, self.open_request, {"state": "answered", "score": 10})
        self.write_as(self.retention_user, self.answered, {"score": 0, "comment": "Forged"})
        self.write_as(
            self.retention_user,
            self.answered,
            {"partner_id": self.other_customer.id, "contact_id": self.other_contact.id},
        )
        self.open_request.invalidate_recordset()
        self.assertEqual((self.open_request.state, self.open_request.score), ("requested", 0))
        self.assertEqual(
            (self.answered.score, self.answered.comment, self.answered.partner_id),
            (9, "Good work", self.customer),
        )

    def test_retention_user_cannot_reopen_a_link(self):
        expired = self.request()
        expired.sudo().write({"state": "expired"})
        later = fields.Datetime.now() + timedelta(days=365)
        for feedback, values in (
            (self.open_request, {"date_expiry": later}),
            (self.open_request, {"date_requested": later}),
            (expired, {"state": "requested"}),
            (expired, {"date_expiry": later}),
            (self.answered, {"state": "requested"}),
        ):
            with self.subTest(values=values):
                self.write_as(self.retention_user, feedback, values)
        expired.invalidate_recordset()
        self.assertEqual(expired.state, "expired")
        self.assertEqual(self.open_request.date_expiry, fields.Datetime.now() + timedelta(days=30))

    def test_nobody_writes_the_module_fields(self):
        stranger_activity = self.other_customer.activity_schedule(
            "mail.mail_activity_data_todo", note="Original note", user_id=self.env.user.id
        )
        for user in (self.retention_user, self.manager_a):
            for field, value in (
                ("alert_activity_id", stranger_activity.id),
                ("alerted", True),
                (TOKEN_FIELD, "A" * 43),
                ("category", "promoter"),
                ("nps_points", 100),
                ("csat_points", 100),
            ):
                with self.subTest(user=user.login, field=field):
                    self.write_as(user, self.answered, {field: value})
        self.assertFalse(self.answered.alert_activity_id)
        self.assertNotEqual(token_of(self.answered), "A" * 43)

    def test_alert_never_rewrites_a_foreign_activity(self):
        """Even if the pointer went astray, a changed answer only edits our own alert."""
        stranger_activity = self.other_customer.activity_schedule(
            "mail.mail_activity_data_todo", note="Original note", user_id=self.env.user.id
        )
        # as the module could (superuser): point the request at someone else's activity
        self.answered.sudo().write({"alerted": True, "alert_activity_id": stranger_activity.id})
        self.answered._answer(1, "Rewritten?")
        self.assertIn("Original note", str(stranger_activity.note))
        self.assertNotIn("Rewritten?", str(stranger_activity.note))

    def test_create_cannot_forge_an_answer(self):
        Feedback = self.env["retention.feedback"].with_user(self.retention_user)
        base = {"partner_id": self.customer.id, "contact_id": self.contact.id, "kind": "nps"}
        stranger_activity = self.other_customer.activity_schedule(
            "mail.mail_activity_data_todo", note="Original note", user_id=self.env.user.id
        )
        now = fields.Datetime.now()
        for user in (self.retention_user, self.manager_a):
            for values in (
                {"state": "answered", "score": 10},
                {"comment": "Forged"},
                {"date_answered": now},
                {"alert_activity_id": stranger_activity.id},
                {TOKEN_FIELD: "B" * 43},
            ):
                with self.subTest(user=user.login, values=values):
                    with self.assertRaises(AccessError), self.env.cr.savepoint():
                        Feedback.with_user(user).create(dict(base, **values))
        for values in ({"date_expiry": now + timedelta(days=400)}, {"date_requested": now}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                with self.env.cr.savepoint():
                    Feedback.create(dict(base, **values))
        # a plain request is still the users' to make, with its email
        self.customer.with_user(self.retention_user).action_retention_request_feedback()
        made = self.Feedback.search([("create_uid", "=", self.retention_user.id)])
        self.assertEqual(made.state, "requested")
        # a copy is a new, unanswered request
        copy = self.answered.with_user(self.retention_user).copy()
        self.assertEqual((copy.state, copy.score, copy.comment), ("requested", 0, False))

    def test_manager_corrects_an_answer_logged(self):
        as_manager = self.answered.with_user(self.manager_a)
        as_manager.write({"score": 3, "comment": "Called back: unhappy"})
        self.assertEqual((self.answered.score, self.answered.category), (3, "detractor"))
        log = self.answered.message_ids.filtered(lambda m: m.author_id == self.manager_a.partner_id)
        self.assertEqual(len(log), 1)
        text = str(log.body)
        self.assertIn(self.manager_a.name, text)
        for expected in ("Score", "9", "3", "Good work", "Called back: unhappy"):
            self.assertIn(expected, text)
        # the expiry too (a reopened link is a manager's decision)
        later = fields.Datetime.now() + timedelta(days=10)
        self.open_request.with_user(self.manager_a).write({"date_expiry": later})
        self.assertTrue(
            self.open_request.message_ids.filtered(
                lambda m: m.author_id == self.manager_a.partner_id and "Expires On" in str(m.body)
            )
        )

    def test_company_is_one_of_the_writers_companies(self):
        loner = self.env["res.partner"].create(
            {"name": "Free Agent", "email": "agent@free.example", "company_id": False}
        )
        feedback = self.request(loner)
        for user in (self.manager_a, self.retention_user):
            with self.subTest(user=user.login):
                message = self.write_as(user, feedback, {"company_id": self.company_b.id})
                self.assertNotIn(self.company_b.name, message)
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    self.env["retention.feedback"].with_user(user).create(
                        {
                            "partner_id": loner.id,
                            "contact_id": loner.id,
                            "company_id": self.company_b.id,
                        }
                    )
        self.assertEqual(feedback.company_id, self.company)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackPublicMethods(FeedbackRolesCase):
    """The sweep: public methods check the caller's rights before working as superuser."""

    def test_preview_needs_access_to_the_request(self):
        b_request = self.request(company=self.company_b)
        for user, feedback in (
            (self.contact_creator, self.open_request),
            (self.portal, self.open_request),
            (self.retention_user, b_request),
        ):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    feedback.with_user(user).action_open_public_page()
        action = self.open_request.with_user(self.retention_user).action_open_public_page()
        self.assertIn(token_of(self.open_request), action["url"])
        # users without the Retention rights touch no request at all
        for user in (self.contact_creator, self.portal):
            with self.subTest(user=user.login):
                self.write_as(user, self.open_request, {"score": 10})
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    self.open_request.with_user(user).action_send_again()

    def test_send_again_works_as_designed_for_users(self):
        expired = self.request()
        expired.sudo().write({"state": "expired"})
        expired.with_user(self.retention_user).action_send_again()
        self.assertEqual(expired.state, "requested")
        self.assertTrue(expired._is_open())
        # an answered request is not asked again
        with self.assertRaises(UserError):
            self.answered.with_user(self.retention_user).action_send_again()
        # another company's request: refused
        b_request = self.request(company=self.company_b)
        b_request.sudo().write({"state": "expired"})
        with self.assertRaises(AccessError):
            b_request.with_user(self.retention_user).action_send_again()
        b_request.invalidate_recordset()
        self.assertEqual(b_request.state, "expired")

    def test_request_on_an_unreadable_customer_names_nobody(self):
        hidden = self.env["res.partner"].create(
            {"name": "Hidden Samarkand Client", "is_company": True, "company_id": self.company_b.id}
        )
        with self.assertRaises(AccessError) as caught:
            hidden.with_user(self.retention_user).action_retention_request_feedback()
        self.assertNotIn("Hidden Samarkand Client", str(caught.exception))
        self.assertFalse(self.Feedback.search([("partner_id", "=", hidden.id)]))

    def test_request_linked_to_another_companys_project_is_refused(self):
        project_b = self.env["project.project"].create(
            {"name": "Secret Samarkand project", "company_id": self.company_b.id}
        )
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.open_request.with_user(self.manager_a).write({"project_id": project_b.id})
        self.assertFalse(self.open_request.project_id)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackHistory(FeedbackRolesCase):
    """Finding 8: deleting a contact or a customer keeps the answers."""

    def test_deleting_the_contact_keeps_the_answer(self):
        feedback = self.request(self.second_contact)
        feedback._answer(4, "Kept after the contact left")
        self.assertEqual(feedback.contact_id, self.second_contact)
        self.second_contact.with_user(self.contact_creator).unlink()
        self.assertTrue(feedback.exists())
        self.assertFalse(feedback.contact_id)
        self.assertEqual(
            (feedback.partner_id, feedback.score, feedback.comment),
            (self.customer, 4, "Kept after the contact left"),
        )
        # the detached request cannot be sent again, with a clear reason
        feedback.sudo().write({"state": "expired"})
        with self.assertRaises(UserError) as caught:
            feedback.with_user(self.retention_user).action_send_again()
        self.assertIn("contact", str(caught.exception))

    def test_deleting_the_customer_is_refused_clearly(self):
        # the employee with Contact Creation, and even the administrator
        for env in (self.env(user=self.contact_creator), self.env):
            with self.subTest(user=env.user.login):
                with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
                    self.customer.with_env(env).unlink()
                self.assertIn("archive", str(caught.exception))
        self.assertTrue(self.answered.exists())
        # a customer without feedback can still be deleted
        self.other_customer.with_user(self.contact_creator).unlink()
        self.assertFalse(self.other_customer.exists())


class FeedbackHttpCase(FeedbackPageMixin, FeedbackRolesCase, HttpCase):
    def jsonrpc(self, route, params):
        response = self.url_open(
            route,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()


@tagged("post_install", "-at_install")
class TestFeedbackTokenIsNoChatterToken(FeedbackHttpCase):
    """Finding 5: the link's token gives no access to the request's chatter."""

    def messages(self, feedback):
        return self.env["mail.message"].search(
            [("model", "=", "retention.feedback"), ("res_id", "=", feedback.id)]
        )

    @mute_logger("odoo.http")
    def test_stranger_cannot_post_on_the_chatter(self):
        before = self.messages(self.open_request)
        for extra in ({"token": token_of(self.open_request)}, {}):
            with self.subTest(extra=list(extra)):
                reply = self.jsonrpc(
                    "/mail/message/post",
                    {
                        "thread_model": "retention.feedback",
                        "thread_id": self.open_request.id,
                        "post_data": {
                            "body": "Stranger's message",
                            "message_type": "comment",
                            "subtype_xmlid": "mail.mt_comment",
                        },
                        **extra,
                    },
                )
                self.assertIn("error", reply)
                self.assertNotIn("result", reply)
        self.assertEqual(self.messages(self.open_request), before, "no message stored")

    @mute_logger("odoo.http")
    def test_stranger_cannot_read_the_chatter(self):
        token = token_of(self.open_request)
        reply = self.jsonrpc(
            "/mail/chatter_fetch",
            {
                "thread_model": "retention.feedback",
                "thread_id": self.open_request.id,
                "token": token,
            },
        )
        self.assertIn("error", reply)
        self.assertNotIn("recommend", json.dumps(reply))
        self.assertNotIn(token, json.dumps(reply.get("result") or {}))
        reply = self.jsonrpc(
            "/mail/thread/data",
            {
                "thread_model": "retention.feedback",
                "thread_id": self.open_request.id,
                "request_list": ["followers", "attachments", "activities"],
                "token": token,
            },
        )
        dumped = json.dumps(reply)
        self.assertNotIn(self.contact.name, dumped)
        self.assertIn('"hasReadAccess": false', dumped)
        # the feedback page itself still works with the token
        self.assertEqual(self.url_open(self.url(self.open_request)).status_code, 200)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackTokenMigration(FeedbackRolesCase):
    """The upgrade renames the column (and its constraint): the emailed links keep working."""

    MIGRATION = Path(__file__).parent.parent / "migrations/18.0.1.3.0/pre-feedback_token.py"

    def previous_schema(self):
        """The token as 18.0.1.2.0 stored it."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("ALTER TABLE retention_feedback RENAME COLUMN feedback_token TO access_token")
        cr.execute(
            "ALTER TABLE retention_feedback RENAME CONSTRAINT "
            "retention_feedback_feedback_token_unique TO retention_feedback_access_token_unique"
        )
        for table, old, new in (
            ("ir_model_fields", "feedback_token", "access_token"),
            (
                "ir_model_constraint",
                "retention_feedback_feedback_token_unique",
                "retention_feedback_access_token_unique",
            ),
            (
                "ir_model_data",
                "field_retention_feedback__feedback_token",
                "field_retention_feedback__access_token",
            ),
            (
                "ir_model_data",
                "constraint_retention_feedback_feedback_token_unique",
                "constraint_retention_feedback_access_token_unique",
            ),
        ):
            cr.execute(f"UPDATE {table} SET name = %s WHERE name = %s", (new, old))
            self.assertEqual(cr.rowcount, 1, (table, old))

    def test_migration_keeps_the_emailed_links(self):
        token = token_of(self.open_request)
        self.previous_schema()
        migration = load_source(self.MIGRATION, "pre_feedback_token")
        migration.migrate(self.env.cr, "18.0.1.2.0")
        self.assertFalse(migration.rename_feedback_token(self.env.cr), "run twice: no-op")
        self.env.invalidate_all()
        self.assertEqual(self.Feedback._find_by_token(token), self.open_request)
        cr = self.env.cr
        cr.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'retention_feedback'::regclass "
            "AND contype = 'u'"
        )
        self.assertEqual(
            [row[0] for row in cr.fetchall()], ["retention_feedback_feedback_token_unique"]
        )
        for xmlid in (
            "customer_retention.field_retention_feedback__feedback_token",
            "customer_retention.constraint_retention_feedback_feedback_token_unique",
        ):
            self.assertTrue(self.env.ref(xmlid, raise_if_not_found=False), xmlid)
        self.assertEqual(
            self.env.ref("customer_retention.field_retention_feedback__feedback_token").name,
            "feedback_token",
        )


@tagged("post_install", "-at_install")
class TestFeedbackPageFlood(FeedbackHttpCase):
    """Finding 9: a few answers per hour per link; a changed answer adds no note."""

    def test_answers_per_hour_are_bounded(self):
        feedback = self.open_request
        for score in ("6", "7", "8", "9", "10"):
            response = self.submit(feedback, score, f"Comment {score}")
            self.assertEqual(response.status_code, 200, score)
        feedback.invalidate_recordset()
        self.assertEqual((feedback.score, feedback.comment), (10, "Comment 10"))
        self.assertEqual(len(self.answer_notes(feedback)), 1, "the answer note is updated")
        self.assertIn("10", str(self.answer_notes(feedback).body))
        messages = feedback.message_ids
        response = self.submit(feedback, "0", "Flood")
        self.assertEqual(response.status_code, 429)
        self.assertIn("try again", response.text)
        feedback.invalidate_recordset()
        self.assertEqual((feedback.score, feedback.comment), (10, "Comment 10"), "nothing stored")
        self.assertEqual(feedback.message_ids, messages, "nothing posted")
        # another link is not held back
        self.assertEqual(self.submit(self.request(self.other_customer), "9").status_code, 200)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackAnswerBound(FeedbackRolesCase):
    def test_the_bound_is_per_hour(self):
        feedback = self.request()
        with freeze_time("2026-06-15 10:00:00"):
            for score in (1, 2, 3, 4, 5):
                feedback._answer(score)
            with self.assertRaises(UserError):
                feedback._answer(6)
        with freeze_time("2026-06-15 11:00:01"):
            feedback._answer(7)
        self.assertEqual(feedback.score, 7)
        self.assertEqual(len(self.answer_notes(feedback)), 1)
