"""Browser tour of Score Check on a history with a signal (snapshot rows the test writes)."""

import shutil

from dateutil.relativedelta import relativedelta

from odoo import Command, fields, http
from odoo.tests import HttpCase, tagged

from ..engine.health import DEFAULT_WEIGHTS, FACTORS
from .test_analytics_tour import BROWSERS
from .test_backtest import make_signal_history


@tagged("post_install", "-at_install")
class TestScoreCheckTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo skips a tour silently when no browser is found: make that a failure instead.
        assert any(shutil.which(name) for name in BROWSERS), (
            "No Chromium found: install it (apt-get install chromium) to run the browser tours."
        )
        # Load the static file map once before the browser's parallel requests (CPython
        # gh-106905, fixed in 3.11.8, can otherwise fail them).
        http.root.statics  # noqa: B018
        admin = cls.env.ref("base.user_admin")
        cls.company = admin.company_id
        cls.company.write({f"retention_weight_{name}": DEFAULT_WEIGHTS[name] for name in FACTORS})
        admin.write({"company_ids": [Command.link(cls.company.id)]})
        # the screen opens on 24 months whose 12-month horizon has passed: the last one is 13
        # months before this one
        today = fields.Date.context_today(admin)
        last = today.replace(day=1) - relativedelta(months=13)
        make_signal_history(cls.env, cls.company, last, prefix="Tour Score")

    def test_score_check(self):
        result = self.env["retention.backtest"].run(self.company.id)
        self.assertTrue(result["calibration"]["changed"], result["calibration"])
        self.start_tour("/odoo", "customer_retention_score_check_tour", login="admin")
        # the tour applied the suggestion, then restored the weights before
        sets = self.env["retention.weight.set"].search([("company_id", "=", self.company.id)])
        self.assertEqual(sets.mapped("origin"), ["restored", "applied", "previous"])
        self.assertEqual(self.company._retention_weights(), DEFAULT_WEIGHTS)
