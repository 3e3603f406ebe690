"""The pure review rhythm functions, checked against dates worked out by hand."""

from datetime import date

from odoo.tests import BaseCase, tagged

from odoo.addons.customer_retention.engine import reviews

TODAY = date(2026, 6, 15)
STAGE_DEFAULTS = {"at_risk": "monthly", "new": False}


@tagged("post_install", "-at_install")
class TestReviewEngine(BaseCase):
    def test_cadence_months(self):
        self.assertEqual(reviews.cadence_months("monthly"), 1)
        self.assertEqual(reviews.cadence_months("quarterly"), 3)
        self.assertEqual(reviews.cadence_months("half_yearly"), 6)
        self.assertEqual(reviews.cadence_months("yearly"), 12)
        self.assertIsNone(reviews.cadence_months("none"))

    def test_impossible_cadences_are_refused(self):
        for cadence in ("zero", "0", 0, "", None, "weekly"):
            with self.assertRaises(ValueError, msg=repr(cadence)):
                reviews.cadence_months(cadence)

    def test_effective_cadence(self):
        # the customer's own cadence wins
        self.assertEqual(
            reviews.effective_cadence("yearly", "at_risk", "quarterly", STAGE_DEFAULTS), "yearly"
        )
        # else the stage's default, when the company sets one
        self.assertEqual(
            reviews.effective_cadence(False, "at_risk", "quarterly", STAGE_DEFAULTS), "monthly"
        )
        # a stage without a default of its own (new, here) takes the company's
        self.assertEqual(
            reviews.effective_cadence(False, "new", "quarterly", STAGE_DEFAULTS), "quarterly"
        )
        self.assertEqual(
            reviews.effective_cadence(False, "active", "half_yearly", STAGE_DEFAULTS), "half_yearly"
        )
        # "none" is a choice, not an empty value
        self.assertEqual(
            reviews.effective_cadence("none", "at_risk", "quarterly", STAGE_DEFAULTS), "none"
        )
        self.assertEqual(reviews.effective_cadence(False, "active", False, {}), "none")

    def test_next_review_date(self):
        self.assertEqual(
            reviews.next_review_date("quarterly", date(2026, 6, 15)), date(2026, 9, 15)
        )
        self.assertEqual(reviews.next_review_date("yearly", date(2024, 2, 29)), date(2025, 2, 28))
        self.assertIsNone(reviews.next_review_date("none", TODAY))
        self.assertIsNone(reviews.next_review_date("monthly", None))

    def test_rhythm_rolled_forward(self):
        # customer since 2024-03-01, quarterly: ... 2026-06-01 (passed), 2026-09-01
        self.assertEqual(
            reviews.next_review_date("quarterly", date(2024, 3, 1), not_before=TODAY),
            date(2026, 9, 1),
        )
        # a date of the rhythm falling today is kept
        self.assertEqual(
            reviews.next_review_date("monthly", date(2026, 1, 15), not_before=TODAY), TODAY
        )
        # at least one cadence after the reference, even when the reference is recent
        self.assertEqual(
            reviews.next_review_date("monthly", date(2026, 6, 10), not_before=TODAY),
            date(2026, 7, 10),
        )
        # month ends do not drift: from 31 January, monthly, the dates stay month ends
        self.assertEqual(
            reviews.next_review_date("monthly", date(2026, 1, 31), not_before=date(2026, 3, 1)),
            date(2026, 3, 31),
        )

    def test_planning_window(self):
        self.assertEqual(reviews.planning_horizon(TODAY, 7), date(2026, 6, 22))
        self.assertTrue(reviews.is_due_for_planning(date(2026, 6, 22), TODAY, 7))
        self.assertFalse(reviews.is_due_for_planning(date(2026, 6, 23), TODAY, 7))
        self.assertTrue(reviews.is_due_for_planning(date(2026, 5, 1), TODAY, 0))
        self.assertFalse(reviews.is_due_for_planning(None, TODAY, 7))
        with self.assertRaises(ValueError):
            reviews.planning_horizon(TODAY, -1)

    def test_overdue(self):
        self.assertTrue(reviews.is_overdue("planned", date(2026, 6, 14), TODAY))
        self.assertFalse(reviews.is_overdue("planned", TODAY, TODAY))
        self.assertFalse(reviews.is_overdue("done", date(2026, 6, 14), TODAY))
        self.assertFalse(reviews.is_overdue("cancelled", date(2026, 6, 14), TODAY))

    def test_first_open_day_after_lock_date(self):
        self.assertEqual(reviews.first_open_day(TODAY, None), TODAY)
        self.assertEqual(
            reviews.first_open_day(date(2026, 3, 1), date(2026, 3, 31)), date(2026, 4, 1)
        )
        self.assertEqual(
            reviews.first_open_day(date(2026, 4, 1), date(2026, 3, 31)), date(2026, 4, 1)
        )
