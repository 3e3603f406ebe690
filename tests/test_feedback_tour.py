"""Browser tour: a customer answers a feedback request on the public page, not logged in."""

import shutil

from odoo import http
from odoo.tests import HttpCase, tagged

from .common import RetentionCase

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@tagged("post_install", "-at_install")
class TestFeedbackTour(RetentionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo skips a tour silently when no browser is found: make that a failure instead.
        assert any(shutil.which(name) for name in BROWSERS), (
            "No Chromium found: install it (apt-get install chromium) to run the browser tours."
        )
        # Load the static file map once before the browser's parallel requests (CPython
        # gh-106905, fixed in 3.11.8, can otherwise fail them).
        http.root.statics  # noqa: B018 pylint: disable=pointless-statement
        cls.feedback = cls.env["retention.feedback"].sudo()._request(cls.customer, kind="nps")

    def test_answer_without_login(self):
        url = f"/retention/feedback/{self.feedback.feedback_token}"
        # no login: the visitor is the public user
        self.start_tour(url, "customer_retention_feedback_tour")
        self.feedback.invalidate_recordset()
        self.assertEqual(self.feedback.state, "answered")
        self.assertEqual(self.feedback.score, 9)
        self.assertEqual(self.feedback.category, "promoter")
        self.assertEqual(self.feedback.comment, "Great project team, thank you!")
        self.assertIn(self.contact, self.feedback.message_ids.author_id)
