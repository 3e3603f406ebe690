"""Health as of a past month (issue #18): the builder's facts read as of a day, the snapshot's
health and factor columns filled for the closed months (backfill, daily job).

Today is 2026-06-15 (TODAY): the closed months are 2026-05 and before.
"""

from datetime import date
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..engine.health import FACTORS
from ..models.analytics import retention_profile_builder
from .common import TODAY, RetentionCase

SCORE_COLUMNS = ["health_score", *(f"{name}_score" for name in FACTORS)]


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFactsAsOf(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # invoiced in January, due on 9 February, paid late on 20 April
        cls.late = cls.make_invoice(cls.customer, "2026-01-10", 1000, due="2026-02-09")
        cls.pay(cls.late, "2026-04-20")
        cls.make_invoice(cls.customer, "2026-03-05", 400, due="2026-04-04")

    def facts(self, day):
        day = date.fromisoformat(day)
        return self.builder._gather_facts_as_of([self.customer.id], [day])[day]

    def invoice(self, day):
        return self.facts(day)["invoices"][(self.company.id, self.customer.id)]

    def test_paid_late_invoice_overdue_before_its_payment_only(self):
        march = self.invoice("2026-03-31")
        self.assertEqual(march["overdue_days"], 50)  # 9 February .. 31 March
        self.assertAlmostEqual(march["overdue_amount"], 1000.0)
        # the 400 of March is due on 4 April and never paid: overdue at the end of April
        april = self.invoice("2026-04-30")
        self.assertEqual(april["overdue_days"], 26)
        self.assertAlmostEqual(april["overdue_amount"], 400.0)
        # before the due day, nothing overdue
        january = self.invoice("2026-01-31")
        self.assertEqual(january["overdue_days"], 0)
        self.assertEqual(january["overdue_amount"], 0.0)

    def test_paid_after_a_recent_month_end_overdue_on_it_either_way(self):
        """The month just closed (31 May, today 15 June) reads the reconciliations dated since
        by their date, older days each invoice's own: an invoice due on 10 May and paid on
        10 June was overdue on 31 May both ways."""
        late = self.make_invoice(self.customer, "2026-04-10", 700, due="2026-05-10")
        self.pay(late, "2026-06-10")
        recent = self.invoice("2026-05-31")
        self.assertEqual(recent["overdue_days"], 57)  # the March invoice, due 4 April
        self.assertAlmostEqual(recent["overdue_amount"], 700.0 + 400.0)  # with March's
        with patch.object(retention_profile_builder, "RECENT_PAYMENT_DAYS", 0):
            self.assertEqual(self.invoice("2026-05-31"), recent)

    def test_invoices_dated_after_the_day_do_not_count(self):
        february = self.invoice("2026-02-28")
        self.assertEqual(february["invoice_count"], 1)
        self.assertEqual(february["last_invoice_date"], date(2026, 1, 10))
        self.assertAlmostEqual(february["revenue_12m"], 1000.0)
        self.assertEqual(self.invoice("2026-03-31")["invoice_count"], 2)
        self.assertNotIn((self.company.id, self.customer.id), self.facts("2025-12-31")["invoices"])

    def test_contact_after_the_month_end_not_counted(self):
        subtype = self.env.ref("mail.mt_comment")
        for day in ("2026-02-10 09:00:00", "2026-04-03 09:00:00"):
            self.env["mail.message"].create(
                {
                    "model": "res.partner",
                    "res_id": self.customer.id,
                    "message_type": "comment",
                    "subtype_id": subtype.id,
                    "body": "Call about the renewal",
                    "date": day,
                }
            )
        contacts = self.facts("2026-03-31")["contacts"]
        self.assertEqual(contacts[(None, self.customer.id)], date(2026, 2, 10))
        contacts = self.facts("2026-04-30")["contacts"]
        self.assertEqual(contacts[(None, self.customer.id)], date(2026, 4, 3))
        self.assertNotIn((None, self.customer.id), self.facts("2026-01-31")["contacts"])

    def test_feedback_answered_later_not_counted(self):
        answers = self.env["retention.feedback"].create(
            [
                {"partner_id": self.customer.id, "contact_id": self.contact.id, "kind": "nps"}
                for _ in range(2)
            ]
        )
        for answer, score, day in zip(
            answers, (9, 2), ("2026-02-15 10:00:00", "2026-04-02 10:00:00"), strict=True
        ):
            self.env.cr.execute(
                SQL(
                    "UPDATE retention_feedback SET state = 'answered', score = %s, "
                    "date_answered = %s WHERE id = %s",
                    score,
                    day,
                    answer.id,
                )
            )
        answers.invalidate_recordset()
        self.assertEqual(self.facts("2026-03-31")["satisfaction"][self.customer.id], 90)
        self.assertEqual(self.facts("2026-04-30")["satisfaction"][self.customer.id], 20)
        self.assertNotIn(self.customer.id, self.facts("2026-01-31")["satisfaction"])

    def test_several_days_read_at_once_as_each_day_alone(self):
        """The history reads a batch's facts once for all its month ends: each day's facts
        are what reading that day alone gives (contacts carried to the later days, projects,
        tasks and updates as they stood, feedback, overdue)."""
        subtype = self.env.ref("mail.mt_comment")
        self.env["mail.message"].create(
            {
                "model": "res.partner",
                "res_id": self.customer.id,
                "message_type": "comment",
                "subtype_id": subtype.id,
                "body": "Kick-off call",
                "date": "2026-02-10 09:00:00",
            }
        )
        project = self.env["project.project"].create(
            {"name": "Website", "partner_id": self.customer.id}
        )
        self.env["project.task"].create(
            [
                {"name": "Design", "project_id": project.id, "date_deadline": "2026-03-15"},
                {"name": "Build", "project_id": project.id, "date_deadline": "2026-05-20"},
            ]
        )
        update = self.env["project.update"].create(
            {"name": "Week 10", "project_id": project.id, "status": "at_risk"}
        )
        self.env.cr.execute(
            SQL(
                "UPDATE project_project SET create_date = '2026-02-01' WHERE id = %s;"
                "UPDATE project_task SET create_date = '2026-02-01' WHERE project_id = %s;"
                "UPDATE project_update SET date = '2026-03-10' WHERE id = %s",
                project.id,
                project.id,
                update.id,
            )
        )
        self.env.invalidate_all()
        days = [date(2026, month, 1) + relativedelta(months=1, days=-1) for month in range(1, 6)]
        together = self.builder._gather_facts_as_of([self.customer.id], days)

        def plain(facts):
            return {**facts, "projects": dict(facts["projects"])}

        for day in days:
            with self.subTest(day=day):
                alone = self.builder._gather_facts_as_of([self.customer.id], [day])[day]
                self.assertEqual(plain(together[day]), plain(alone))
        april = together[date(2026, 4, 30)]
        self.assertEqual(april["contacts"][(None, self.customer.id)], date(2026, 2, 10))
        key = (project.company_id.id or None, self.customer.id)
        (april_project,) = april["projects"][key]["open"]
        self.assertEqual(april_project.status, "at_risk")
        self.assertEqual(april_project.overdue_task_count, 1)  # the design, due 15 March
        self.assertEqual(april_project.open_task_count, 2)
        self.assertNotIn(key, together[date(2026, 1, 31)]["projects"])

    def test_payment_score_as_of_uses_the_engine(self):
        rows = {
            row["partner_id"]: row
            for row in self.builder._evaluate_as_of(
                self.company, [self.customer.id], date(2026, 3, 31)
            )
        }
        march = rows[self.customer.id]
        self.assertLess(march["payment_score"], 100)
        may = self.builder._evaluate_as_of(self.company, [self.customer.id], date(2026, 5, 31))
        # in May the March invoice is overdue too: payment no better than in March's first
        self.assertIsNotNone(may[0]["health_score"])
        self.assertEqual(set(march), {"partner_id", "stage", *SCORE_COLUMNS})


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestHealthHistory(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Snapshot = cls.env["retention.snapshot"]
        cls.late = cls.make_late_payer(cls.customer)

    def rows(self):
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, month, stage, %s FROM retention_snapshot "
                "WHERE company_id = %s ORDER BY partner_id, month",
                SQL(", ").join(SQL.identifier(c) for c in SCORE_COLUMNS),
                self.company.id,
            )
        )
        return self.env.cr.fetchall()

    def month_row(self, month):
        return next(r for r in self.rows() if r[0] == self.customer.id and r[1] == month)

    def test_backfill_fills_closed_months_and_is_idempotent(self):
        self.Snapshot._backfill(self.company)
        first = self.rows()
        self.assertTrue(first)
        january = self.month_row(date(2026, 1, 1))
        self.assertIsNotNone(january[3])  # health
        self.assertLess(january[3 + 1 + FACTORS.index("payment")], 100)  # overdue then
        april = self.month_row(date(2026, 4, 1))
        self.assertEqual(april[3 + 1 + FACTORS.index("payment")], 100)  # paid in March
        # the stored month is the engine on the facts as of its last day
        expected = self.env["retention.profile.builder"]._evaluate_as_of(
            self.company, [self.customer.id], date(2026, 1, 31)
        )[0]
        self.assertEqual(january[3], expected["health_score"])
        self.Snapshot._backfill(self.company)
        self.assertEqual(self.rows(), first)

    def test_history_window_is_a_company_setting(self):
        self.company.retention_history_months = 3
        self.Snapshot._backfill(self.company)
        self.assertIsNone(self.month_row(date(2026, 2, 1))[3])
        self.assertIsNotNone(self.month_row(date(2026, 3, 1))[3])

    def test_daily_job_fills_the_closed_month(self):
        self.Snapshot._backfill(self.company)
        june = self.month_row(date(2026, 6, 1))
        # the current month is live: the customer's figures, no factor columns
        self.assertIsNone(june[3 + 1 + FACTORS.index("payment")])
        with freeze_time("2026-07-02"):
            self.Snapshot._cron_update_snapshots()
            expected = self.env["retention.profile.builder"]._evaluate_as_of(
                self.company, [self.customer.id], date(2026, 6, 30)
            )[0]
        june = self.month_row(date(2026, 6, 1))
        self.assertEqual(june[3], expected["health_score"])
        self.assertEqual(june[3 + 1 + FACTORS.index("payment")], expected["payment_score"])
