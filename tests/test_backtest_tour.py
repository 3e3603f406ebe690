"""Browser tour of Score Check on a history with a signal (snapshot rows the test writes)."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged

from ..engine.health import DEFAULT_WEIGHTS, FACTORS
from .common import RetentionTourCase
from .test_backtest import make_signal_history


@tagged("post_install", "-at_install")
class TestScoreCheckTour(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({f"retention_weight_{name}": DEFAULT_WEIGHTS[name] for name in FACTORS})
        admin = cls.show_admin_the_company()
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
