"""Customer feedback: NPS/CSAT maths, requests and their email, answers and their checks, the
detractor alert, the health score, the analysis measures and the public page through real HTTP
requests (token security, bad input, escaping)."""

import json
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import BaseCase, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.customer_retention.engine import feedback as engine

from .common import TODAY, FeedbackCase, FeedbackPageMixin


@tagged("post_install", "-at_install")
class TestFeedbackEngine(BaseCase):
    def test_categories(self):
        expected_nps = {0: "detractor", 6: "detractor", 7: "passive", 8: "passive"}
        expected_nps.update({9: "promoter", 10: "promoter"})
        for score, category in expected_nps.items():
            self.assertEqual(engine.category_of("nps", score), category, score)
        expected_csat = {1: "detractor", 2: "detractor", 3: "passive", 4: "promoter", 5: "promoter"}
        for score, category in expected_csat.items():
            self.assertEqual(engine.category_of("csat", score), category, score)
        for kind, score in (("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("nps", 5.5)):
            self.assertIsNone(engine.category_of(kind, score), (kind, score))
        self.assertIsNone(engine.category_of("nps", True))
        self.assertIsNone(engine.category_of("stars", 3))

    def test_nps_on_a_known_set(self):
        # 5 promoters, 2 passives, 3 detractors out of 10: 50% - 30% = 20
        scores = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]
        self.assertEqual(engine.nps(scores), 20.0)
        self.assertEqual(engine.nps([10, 9]), 100.0)
        self.assertEqual(engine.nps([0, 6, 5]), -100.0)
        self.assertEqual(engine.nps([7, 8]), 0.0)
        # 1 promoter, 2 detractors out of 3: -33.3
        self.assertEqual(engine.nps([9, 2, 4]), -33.3)
        self.assertIsNone(engine.nps([]))
        # scores off the scale are ignored, not counted
        self.assertEqual(engine.nps([10, 11, -1]), 100.0)

    def test_csat(self):
        # 3 of 5 answers are 4 or 5
        self.assertEqual(engine.csat([5, 4, 4, 3, 1]), 60.0)
        self.assertEqual(engine.csat([1, 2, 3]), 0.0)
        self.assertEqual(engine.csat([2, 4, 5]), 66.7)
        self.assertIsNone(engine.csat([]))
        self.assertIsNone(engine.csat([0, 6]))

    def test_points_average_to_nps_and_csat(self):
        scores = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]
        points = [engine.nps_points("nps", score) for score in scores]
        self.assertEqual(sum(points) / len(points), engine.nps(scores))
        csat_scores = [5, 4, 4, 3, 1]
        points = [engine.csat_points("csat", score) for score in csat_scores]
        self.assertEqual(sum(points) / len(points), engine.csat(csat_scores))
        self.assertEqual(engine.nps_points("csat", 5), 0)
        self.assertEqual(engine.csat_points("nps", 10), 0)

    def test_satisfaction_scale(self):
        self.assertEqual(engine.satisfaction_of("nps", 0), 0)
        self.assertEqual(engine.satisfaction_of("nps", 7), 70)
        self.assertEqual(engine.satisfaction_of("nps", 10), 100)
        self.assertEqual(engine.satisfaction_of("csat", 1), 0)
        self.assertEqual(engine.satisfaction_of("csat", 3), 50)
        self.assertEqual(engine.satisfaction_of("csat", 5), 100)
        self.assertIsNone(engine.satisfaction_of("csat", 0))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackRequest(FeedbackCase):
    def test_request_from_customer_emails_its_contact(self):
        action = self.customer.action_retention_request_feedback()
        self.assertEqual(action["tag"], "display_notification")
        feedback = self.Feedback.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(feedback), 1)
        # the company has no email: its contact with an email is asked
        self.assertEqual(feedback.contact_id, self.contact)
        self.assertEqual(feedback.kind, "nps")  # the company's default question
        self.assertEqual(feedback.origin, "manual")
        self.assertEqual(feedback.state, "requested")
        self.assertEqual(feedback.user_id, self.account_manager)
        self.assertEqual(feedback.company_id, self.company)
        self.assertEqual(
            feedback.date_expiry, fields.Datetime.now() + timedelta(days=30), "30 days by default"
        )
        # an unguessable token, in the emailed link
        self.assertEqual(len(feedback.feedback_token), 43)
        message = feedback.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn(self.contact, message.partner_ids)
        self.assertIn(f"/retention/feedback/{feedback.feedback_token}", message.body)
        self.assertIn(f"/retention/feedback/{feedback.feedback_token}?score=10", message.body)

    def test_tokens_are_unique_and_unguessable(self):
        first, second = self.request(), self.request(self.other_customer)
        self.assertNotEqual(first.feedback_token, second.feedback_token)
        self.assertEqual(self.Feedback._find_by_token(first.feedback_token), first)
        self.assertFalse(self.Feedback._find_by_token(first.feedback_token[:-1] + "x"))
        self.assertFalse(self.Feedback._find_by_token(first.feedback_token[:20]))
        self.assertFalse(self.Feedback._find_by_token("' OR 1=1 --" + "a" * 32))
        self.assertFalse(self.Feedback._find_by_token(None))

    def test_request_from_project_and_review(self):
        project = self.env["project.project"].create(
            {"name": "Harbour audit", "partner_id": self.contact.id}
        )
        project.action_retention_request_feedback()
        feedback = self.Feedback.search([("project_id", "=", project.id)])
        self.assertEqual(feedback.origin, "project")
        self.assertEqual(feedback.partner_id, self.customer)
        self.assertEqual(feedback.contact_id, self.contact)
        self.assertEqual(project.retention_feedback_count, 1)
        review = self.env["retention.review"].create({"partner_id": self.customer.id})
        review.action_request_feedback()
        self.assertEqual(review.feedback_ids.origin, "review")
        self.assertEqual(self.customer.retention_feedback_count, 2)

    def test_nobody_to_email(self):
        silent = self.env["res.partner"].create({"name": "No Email Ltd", "is_company": True})
        with self.assertRaises(UserError):
            silent.action_retention_request_feedback()

    def test_validity_setting(self):
        self.company.retention_feedback_validity_days = 7
        feedback = self.request()
        self.assertEqual(feedback.date_expiry, fields.Datetime.now() + timedelta(days=7))
        for days in (0, -3, 400):
            with self.assertRaises(ValidationError):
                self.company.retention_feedback_validity_days = days

    def test_contact_must_belong_to_customer(self):
        with self.assertRaises(ValidationError):
            self.Feedback.create(
                {"partner_id": self.customer.id, "contact_id": self.other_contact.id}
            )


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackAnswer(FeedbackCase):
    def test_bad_scores_are_refused(self):
        nps, csat = self.request(), self.request(kind="csat")
        for feedback, score in ((nps, 11), (nps, -1), (csat, 0), (csat, 6)):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                feedback._answer(score)
        self.assertEqual((nps | csat).mapped("state"), ["requested", "requested"])

    def test_oversized_comment_is_refused(self):
        feedback = self.request()
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            feedback._answer(9, "x" * 5000)
        feedback._answer(9, "x" * 2000)
        self.assertEqual(len(feedback.comment), 2000)

    def test_answer_and_change_until_expiry(self):
        feedback = self.request()
        feedback._answer(7, "  Fine  ")
        self.assertEqual(feedback.state, "answered")
        self.assertEqual(feedback.category, "passive")
        self.assertEqual(feedback.comment, "Fine")
        self.assertEqual(feedback.date_answered, fields.Datetime.now())
        with freeze_time("2026-07-01"):
            feedback._answer(10)
            self.assertEqual(feedback.score, 10)
            self.assertEqual(feedback.category, "promoter")
            self.assertFalse(feedback.comment)
        with freeze_time("2026-07-16"), self.assertRaises(UserError):
            feedback._answer(3)  # 31 days after the request
        self.assertEqual(feedback.score, 10)

    def test_detractor_alert_once(self):
        feedback = self.request()
        feedback._answer(9)
        self.assertFalse(self.detractor_alerts())
        feedback._answer(2, "Late and over budget")
        alert = self.detractor_alerts()
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.user_id, self.account_manager)
        self.assertEqual(feedback.alert_activity_id, alert)
        self.assertIn("Late and over budget", alert.note)
        # the customer changes the answer: still one alert, kept up to date
        feedback._answer(4, "Better after the call")
        feedback._answer(1, "Worse again")
        self.assertEqual(self.detractor_alerts(), alert)
        self.assertIn("Worse again", alert.note)
        # CSAT 1-2 are detractors too; one alert per request
        self.request(kind="csat")._answer(2)
        self.assertEqual(len(self.detractor_alerts()), 2)
        self.request(kind="csat")._answer(3)
        self.assertEqual(len(self.detractor_alerts()), 2)

    def test_detractor_alert_falls_back_to_salesperson(self):
        salesperson = new_test_user(
            self.env, login="fb_sp", groups="base.group_user", company_id=self.company.id
        )
        self.other_customer.write({"user_id": salesperson.id})
        self.other_customer.retention_account_manager_id = False
        self.request(self.other_customer)._answer(0)
        self.assertEqual(self.detractor_alerts(self.other_customer).user_id, salesperson)

    def test_comment_is_plain_text(self):
        feedback = self.request()
        feedback._answer(8, "<script>alert('x')</script><b>bold</b>")
        self.assertEqual(feedback.comment, "<script>alert('x')</script><b>bold</b>")
        feedback._answer(0, "<script>alert('x')</script>")
        # the alert's HTML note shows it escaped, never as markup
        note = str(feedback.alert_activity_id.note)
        self.assertNotIn("<script>", note)
        self.assertIn("&lt;script&gt;", note)

    def test_expiry_job(self):
        old, answered, fresh = self.request(), self.request(), self.request()
        answered._answer(9)
        with freeze_time("2026-07-15 12:00:00"):
            fresh.date_requested = fields.Datetime.now()
            self.assertEqual(self.Feedback._cron_expire_requests(), 1)
        old.invalidate_recordset()
        self.assertEqual(old.state, "expired")
        self.assertEqual(answered.state, "answered")
        self.assertEqual(fresh.state, "requested")
        # sending again reopens it for another period
        old.action_send_again()
        self.assertEqual(old.state, "requested")
        self.assertTrue(old._is_open())


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFeedbackMeasures(FeedbackCase):
    def test_pivot_average_is_nps_and_csat(self):
        nps_scores = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]
        for score in nps_scores:
            self.request()._answer(score)
        csat_scores = [5, 4, 4, 3, 1]
        for score in csat_scores:
            self.request(kind="csat")._answer(score)
        # unanswered and expired requests count for neither
        self.request()
        self.request(kind="csat").write({"state": "expired"})
        self.request(self.other_customer)._answer(0)
        groups = self.Feedback._read_group(
            [("partner_id", "in", (self.customer | self.other_customer).ids)],
            ["partner_id"],
            ["nps_points:avg", "csat_points:avg"],
        )
        result = {partner: (nps, csat) for partner, nps, csat in groups}
        self.assertAlmostEqual(result[self.customer][0], engine.nps(nps_scores))
        self.assertAlmostEqual(result[self.customer][1], engine.csat(csat_scores))
        self.assertAlmostEqual(result[self.other_customer][0], -100)
        self.assertFalse(result[self.other_customer][1])  # no CSAT answer: no figure
        # per account manager too
        [(user, nps)] = self.Feedback._read_group(
            [("partner_id", "=", self.customer.id)], ["user_id"], ["nps_points:avg"]
        )
        self.assertEqual(user, self.account_manager)
        self.assertAlmostEqual(nps, 20.0)

    def test_health_score_satisfaction(self):
        today = fields.Date.to_date(TODAY)
        self.make_invoice(self.customer, today - timedelta(days=10), 1000)
        self.recompute()

        def satisfaction():
            partner = self.customer.with_company(self.company)
            partner.invalidate_recordset()
            factors = json.loads(partner.retention_health_factors)
            return factors["satisfaction"]["score"]

        self.assertIsNone(satisfaction(), "no feedback yet: left out")
        health_before = self.customer.with_company(self.company).retention_health_score
        feedback = self.request()
        feedback._answer(3)  # NPS 3 -> 30
        self.customer.invalidate_recordset(["retention_refresh_pending"])
        self.assertTrue(self.customer.retention_refresh_pending, "the answer queues the customer")
        self.recompute()
        self.assertEqual(satisfaction(), 30)
        health_detractor = self.customer.with_company(self.company).retention_health_score
        self.assertLess(health_detractor, health_before)
        with freeze_time("2026-06-16"):
            feedback._answer(10)
            self.recompute()
        self.assertEqual(satisfaction(), 100)
        with freeze_time("2026-06-17"):
            self.request(kind="csat")._answer(3)  # CSAT 3 -> 50, the latest answer counts
            self.recompute()
        self.assertEqual(satisfaction(), 50)

    def test_changed_customers_scan_sees_feedback(self):
        feedback = self.request()
        feedback._answer(9)
        self.env.flush_all()
        self.env.cr.execute(self.builder._changed_customers_query(fields.Datetime.now()))
        self.assertIn(self.customer.id, [row[0] for row in self.env.cr.fetchall()])


@tagged("post_install", "-at_install")
class TestFeedbackPublicPage(FeedbackPageMixin, FeedbackCase, HttpCase):
    """The public page through real HTTP requests, not logged in."""

    def test_question_page(self):
        feedback = self.request()
        response = self.url_open(self.url(feedback))
        self.assertEqual(response.status_code, 200)
        self.assertIn("How likely are you to recommend", response.text)
        self.assertIn(f"/logo.png?company={self.company.id}", response.text)
        self.assertEqual(len(re.findall(r'name="score"', response.text)), 11)
        # the score clicked in the email is chosen, nothing recorded yet
        response = self.url_open(self.url(feedback, "?score=9"))
        self.assertRegex(response.text, r'value="9"\s+checked')
        feedback.invalidate_recordset()
        self.assertEqual(feedback.state, "requested")
        csat = self.request(kind="csat")
        response = self.url_open(self.url(csat))
        self.assertIn("How satisfied are you", response.text)
        self.assertEqual(len(re.findall(r'name="score"', response.text)), 5)

    def test_page_and_email_in_the_contacts_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.contact.lang = "fr_FR"
        feedback = self.request()
        template = self.env.ref("customer_retention.mail_template_feedback_request")
        self.assertEqual(template._render_lang(feedback.ids), {feedback.id: "fr_FR"})
        # dates in the French format: day/month/year
        response = self.url_open(self.url(feedback))
        self.assertIn(feedback.date_expiry.strftime("%d/%m/%Y"), response.text)

    def test_answer_and_change(self):
        feedback = self.request()
        response = self.submit(feedback, "6", "Too slow")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Thank you for your feedback", response.text)
        feedback.invalidate_recordset()
        self.assertEqual((feedback.state, feedback.score), ("answered", 6))
        self.assertEqual(feedback.comment, "Too slow")
        self.assertEqual(len(self.detractor_alerts()), 1)
        # the page shows the answer, which can be changed
        response = self.url_open(self.url(feedback))
        self.assertRegex(response.text, r'value="6"\s+checked')
        self.assertIn("Too slow", response.text)
        self.submit(feedback, "9", "Solved, thanks")
        feedback.invalidate_recordset()
        self.assertEqual((feedback.score, feedback.category), (9, "promoter"))
        self.assertEqual(len(self.detractor_alerts()), 1)

    def test_wrong_and_tampered_tokens(self):
        feedback = self.request()
        feedback._answer(2, "Secret complaint")
        tampered = feedback.feedback_token[:-1] + (
            "A" if feedback.feedback_token[-1] != "A" else "B"
        )
        for path in (
            "/retention/feedback/" + "x" * 43,
            "/retention/feedback/" + tampered,
            "/retention/feedback/short",
            "/retention/feedback/" + feedback.feedback_token.upper(),
        ):
            response = self.url_open(path)
            self.assertEqual(response.status_code, 404, path)
            self.assertIn("This feedback link is not valid", response.text)
            for secret in ("Secret complaint", self.contact.name, self.customer.name):
                self.assertNotIn(secret, response.text)
        # posting to a wrong token changes nothing
        token = self.csrf_token(self.request())
        response = self.url_open(
            "/retention/feedback/" + tampered + "/submit",
            data={"csrf_token": token, "score": "10"},
        )
        self.assertEqual(response.status_code, 404)
        feedback.invalidate_recordset()
        self.assertEqual(feedback.score, 2)

    def test_expired_token(self):
        feedback = self.request()
        feedback._answer(8, "Reasonable")
        token = self.csrf_token(feedback)
        feedback.date_expiry = fields.Datetime.now() - timedelta(seconds=1)
        response = self.url_open(self.url(feedback))
        self.assertEqual(response.status_code, 410)
        self.assertIn("This feedback link has expired", response.text)
        self.assertNotIn("Reasonable", response.text)
        self.assertNotIn(self.contact.name, response.text)
        # reused after expiry: refused, the answer stays
        response = self.submit(feedback, "0", "changed", token=token)
        self.assertEqual(response.status_code, 410)
        feedback.invalidate_recordset()
        self.assertEqual((feedback.score, feedback.comment), (8, "Reasonable"))
        # expired by the job too
        unanswered = self.request()
        unanswered.state = "expired"
        self.assertEqual(self.url_open(self.url(unanswered)).status_code, 410)

    def test_other_customers_token_shows_only_its_request(self):
        mine, theirs = self.request(), self.request(self.other_customer)
        mine._answer(1, "Our private complaint")
        response = self.url_open(self.url(theirs))
        self.assertEqual(response.status_code, 200)
        for secret in ("Our private complaint", self.customer.name, self.contact.name):
            self.assertNotIn(secret, response.text)
        self.submit(theirs, "10", "Great")
        (mine | theirs).invalidate_recordset()
        self.assertEqual((mine.score, mine.comment), (1, "Our private complaint"))
        self.assertEqual((theirs.score, theirs.partner_id), (10, self.other_customer))

    def test_bad_input_is_refused(self):
        feedback = self.request()
        for score in ("11", "-1", "abc", "7.5", ""):
            response = self.submit(feedback, score)
            self.assertEqual(response.status_code, 400, score)
            self.assertIn("Choose a score from 0 to 10", response.text)
        response = self.submit(feedback, "9", "x" * 5000)
        self.assertEqual(response.status_code, 400)
        self.assertIn("Your comment is too long", response.text)
        feedback.invalidate_recordset()
        self.assertEqual(feedback.state, "requested")

    def test_script_in_comment_is_escaped(self):
        feedback = self.request()
        script = "<script>alert('pwned')</script>"
        response = self.submit(feedback, "9", script)
        self.assertEqual(response.status_code, 200)
        feedback.invalidate_recordset()
        self.assertEqual(feedback.comment, script, "stored as the text typed")
        response = self.url_open(self.url(feedback))
        self.assertNotIn(script, response.text)
        self.assertIn("&lt;script&gt;alert(", response.text)

    @mute_logger("odoo.http")
    def test_csrf_is_required(self):
        feedback = self.request()
        response = self.url_open(self.url(feedback, "/submit"), data={"score": "9"})
        self.assertEqual(response.status_code, 400)
        feedback.invalidate_recordset()
        self.assertEqual(feedback.state, "requested")
