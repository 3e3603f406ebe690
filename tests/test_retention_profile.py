"""Retention figures computed from real invoices, payments, projects and messages."""

import json

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TODAY, RetentionCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRetentionFigures(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.customer
        cls.inv_2024 = cls.make_invoice(c, "2024-03-01", 1000)
        cls.inv_2025 = cls.make_invoice(c, "2025-08-01", 2000)
        # unpaid, due 2026-03-31: 76 days overdue on 2026-06-15; partly credited
        cls.inv_2026 = cls.make_invoice(c, "2026-03-01", 500, due="2026-03-31")
        cls.refund = cls.make_invoice(
            c, "2026-04-01", 200, move_type="out_refund", reversed_entry=cls.inv_2026
        )
        cls.pay(cls.inv_2024, "2024-03-20")
        cls.pay(cls.inv_2025, "2025-08-20")

    def test_figures_match_hand_computed_values(self):
        self.recompute()
        c = self.customer
        self.assertEqual(c.retention_customer_since, self.to_date("2024-03-01"))
        self.assertEqual(c.retention_last_invoice_date, self.to_date("2026-03-01"))
        # last 12 months (after 2025-06-15): 2000 + 500 - 200
        self.assertAlmostEqual(c.retention_revenue_12m, 2300)
        # 12 months before (2024-06-15 .. 2025-06-15]: nothing
        self.assertAlmostEqual(c.retention_revenue_prev_12m, 0)
        self.assertAlmostEqual(c.retention_revenue_lifetime, 3300)
        # everything after the first invoice date is repeat business: 2300 / 3300
        self.assertAlmostEqual(c.retention_repeat_revenue_share, 69.7)
        # the credit note is matched against the unpaid invoice: 500 - 200 still due
        self.assertAlmostEqual(c.retention_overdue_amount, 300)
        self.assertEqual(c.retention_overdue_days, 76)
        self.assertEqual(c.retention_invoice_count, 3)
        self.assertEqual(c.retention_credit_note_count, 1)
        self.assertEqual(c.retention_revenue_trend, "up")

    def test_health_breakdown_is_explained(self):
        self.recompute()
        factors = json.loads(self.customer.retention_health_factors)
        # no earlier-year revenue: trend left out; no contact, feedback or project either
        for name in ("trend", "engagement", "satisfaction", "delivery"):
            self.assertIsNone(factors[name]["score"], name)
            self.assertEqual(factors[name]["share"], 0)
        # recency: rhythm (730 days / 2 gaps = 365), 106 days since: full marks
        self.assertEqual(factors["recency"]["score"], 100)
        # payment: 76 days (42.2) + 300/2300 of revenue (3.9) + 1 credit note of 2 (20)
        self.assertEqual(factors["payment"]["score"], 34)
        # re-weighted over recency (25) and payment (20)
        expected = round((25 * 100 + 20 * 34) / 45)
        self.assertEqual(self.customer.retention_health_score, expected)
        self.assertAlmostEqual(sum(f["share"] for f in factors.values()), 100, places=1)
        html = self.customer.retention_health_explanation
        self.assertIn("Payment behaviour", html)
        self.assertIn("no data, left out", html)

    def test_invoice_flags(self):
        self.recompute()
        self.assertTrue(self.inv_2024.retention_is_first_invoice)
        self.assertFalse(self.inv_2024.retention_is_repeat)
        self.assertTrue(self.inv_2025.retention_is_repeat)
        self.assertTrue(self.inv_2026.retention_is_repeat)
        self.assertFalse(self.refund.retention_is_repeat)
        moves = self.env["account.move"].search(
            [("retention_is_repeat", "=", True), ("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(moves, self.inv_2025 | self.inv_2026)

    def test_invoice_flags_are_searchable_both_ways(self):
        """The flags are computed when read; searching for them and for their negation
        gives complementary sets (drafts and credit notes are never first nor repeat)."""
        draft = self.make_invoice(self.customer, "2026-05-01", 50, post=False)
        mine = [("partner_id", "=", self.customer.id)]
        Move = self.env["account.move"]
        firsts = Move.search(mine + [("retention_is_first_invoice", "=", True)])
        not_firsts = Move.search(mine + [("retention_is_first_invoice", "!=", True)])
        repeats = Move.search(mine + [("retention_is_repeat", "=", True)])
        not_repeats = Move.search(mine + [("retention_is_repeat", "=", False)])
        everything = Move.search(mine)
        self.assertEqual(firsts, self.inv_2024)
        self.assertEqual(firsts | not_firsts, everything)
        self.assertFalse(firsts & not_firsts)
        self.assertEqual(repeats, self.inv_2025 | self.inv_2026)
        self.assertEqual(not_repeats, everything - repeats)
        self.assertIn(draft, not_repeats)
        self.assertIn(self.refund, not_firsts)
        self.assertFalse(draft.retention_is_first_invoice or draft.retention_is_repeat)
        # the first invoice cancelled: the next one becomes the first
        self.inv_2024.button_draft()
        self.inv_2024.button_cancel()
        self.env.invalidate_all()
        self.assertTrue(self.inv_2025.retention_is_first_invoice)
        self.assertFalse(self.inv_2025.retention_is_repeat)
        self.assertEqual(
            Move.search(mine + [("retention_is_first_invoice", "=", True)]), self.inv_2025
        )

    def test_cancelled_invoice_no_longer_counts(self):
        self.recompute()
        self.inv_2026.button_draft()
        self.inv_2026.button_cancel()
        self.recompute()
        self.assertEqual(self.customer.retention_last_invoice_date, self.to_date("2025-08-01"))
        self.assertAlmostEqual(self.customer.retention_overdue_amount, 0)
        self.assertFalse(self.inv_2026.retention_is_repeat)

    def test_contact_invoices_roll_up_to_the_company(self):
        self.make_invoice(self.contact, "2026-06-01", 700)
        self.recompute(self.contact)
        self.assertAlmostEqual(self.customer.retention_revenue_12m, 3000)
        self.assertEqual(self.customer.retention_last_invoice_date, self.to_date("2026-06-01"))
        self.assertFalse(self.contact.retention_stage)

    def test_multi_currency_revenue_in_company_currency(self):
        # company currency USD; 1 USD = 2 EUR since 2017 (AccountTestInvoicingCommon rates)
        eur = self.setup_other_currency("EUR")
        self.make_invoice(self.customer, "2026-05-01", 1000, currency=eur)
        self.recompute()
        self.assertAlmostEqual(self.customer.retention_revenue_12m, 2300 + 500)

    def test_trend_and_previous_score_are_kept(self):
        self.recompute()
        first = self.customer.retention_health_score
        self.pay(self.inv_2026, TODAY)
        self.recompute()
        self.assertGreater(self.customer.retention_health_score, first)
        self.assertEqual(self.customer.retention_health_score_prev, first)
        self.assertEqual(self.customer.retention_health_trend, "up")
        # a recompute without change keeps the previous value and the trend
        self.recompute()
        self.assertEqual(self.customer.retention_health_score_prev, first)
        self.assertEqual(self.customer.retention_health_trend, "up")

    def test_stage_is_searchable_and_groupable(self):
        self.recompute()
        stage = self.customer.retention_stage
        self.assertIn(stage, ("active", "at_risk"))
        Partner = self.env["res.partner"]
        self.assertIn(self.customer, Partner.search([("retention_stage", "=", stage)]))
        groups = dict(
            Partner._read_group([("id", "=", self.customer.id)], ["retention_stage"], ["__count"])
        )
        self.assertEqual(groups, {stage: 1})
        scores = Partner.search(
            [("retention_health_score", ">=", 0), ("id", "=", self.customer.id)]
        )
        self.assertEqual(scores, self.customer)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRetentionStages(RetentionCase):
    def customer_with(self, name, *days):
        partner = self.env["res.partner"].create({"name": name, "is_company": True})
        for day in days:
            self.pay(self.make_invoice(partner, day, 1000), day)
        return partner

    def test_every_stage(self):
        prospect = self.env["res.partner"].create({"name": "Prospect", "customer_rank": 1})
        new = self.customer_with("New", "2026-04-01")
        active = self.customer_with("Active", "2025-06-01", "2025-12-01", "2026-05-20")
        churned = self.customer_with("Churned", "2024-01-10", "2025-05-01")
        won_back = self.customer_with("Won back", "2023-01-10", "2024-01-10", "2026-03-01")
        # monthly buyer silent for 8 months: recency 0, payment 100 -> (0 + 2000) / 45 = 44
        at_risk = self.customer_with(
            "At risk", "2025-07-01", "2025-08-01", "2025-09-01", "2025-10-01"
        )
        partners = prospect | new | active | churned | won_back | at_risk
        self.recompute(partners)
        stages = {p.name: p.retention_stage for p in partners}
        self.assertEqual(
            stages,
            {
                "Prospect": "prospect",
                "New": "new",
                "Active": "active",
                "Churned": "churned",
                "Won back": "won_back",
                "At risk": "at_risk",
            },
        )
        self.assertEqual(new.retention_stage_date, self.to_date(TODAY))

    def test_thresholds_come_from_settings(self):
        partner = self.customer_with("Quarterly", "2025-06-01", "2025-09-01", "2025-12-01")
        self.recompute(partner)
        self.assertEqual(partner.retention_stage, "active")
        self.company.retention_churn_days = 180
        self.recompute(partner)
        self.assertEqual(partner.retention_stage, "churned")

    def test_reweighting_from_settings(self):
        partner = self.customer_with("Monthly", "2026-04-15", "2026-05-15", "2026-06-14")
        self.recompute(partner)
        self.assertEqual(partner.retention_health_score, 100)
        factors = json.loads(partner.retention_health_factors)
        self.assertAlmostEqual(factors["recency"]["share"], 100 * 25 / 45, places=1)
        self.company.write({"retention_weight_payment": 0})
        self.recompute(partner)
        factors = json.loads(partner.retention_health_factors)
        self.assertEqual(factors["payment"]["share"], 0)
        self.assertAlmostEqual(factors["recency"]["share"], 100, places=1)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestContactsProjectsFeedback(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.make_invoice(cls.customer, "2026-01-10", 1000)
        cls.project = cls.env["project.project"].create(
            {"name": "Port website", "partner_id": cls.customer.id}
        )

    def backdate(self, message, day):
        message.write({"date": f"{day} 10:00:00"})

    def test_internal_notes_are_not_contact(self):
        note = self.customer.message_post(
            body="Internal: they seem unhappy", subtype_xmlid="mail.mt_note"
        )
        self.backdate(note, "2026-06-01")
        self.recompute()
        self.assertFalse(self.customer.retention_last_contact_date)

    def test_real_exchanges_count(self):
        sent = self.customer.message_post(
            body="Quarterly report attached",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.backdate(sent, "2026-02-01")
        self.recompute()
        self.assertEqual(self.customer.retention_last_contact_date, self.to_date("2026-02-01"))
        # an email from their contact, on their project
        received = self.project.message_post(
            body="Thanks!",
            author_id=self.contact.id,
            message_type="email",
            subtype_xmlid="mail.mt_comment",
        )
        self.backdate(received, "2026-03-05")
        # a comment on their invoice
        on_invoice = self.invoice.message_post(
            body="Invoice sent", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.backdate(on_invoice, "2026-04-10")
        self.recompute()
        self.assertEqual(self.customer.retention_last_contact_date, self.to_date("2026-04-10"))

    def test_done_call_counts_and_other_activities_do_not(self):
        todo = self.customer.activity_schedule("mail.mail_activity_data_todo", summary="Prepare")
        todo.action_feedback(feedback="done")
        self.recompute()
        self.assertFalse(self.customer.retention_last_contact_date)
        call = self.customer.activity_schedule("mail.mail_activity_data_call", summary="Call")
        call.action_feedback(feedback="They renew")
        self.recompute()
        self.assertEqual(self.customer.retention_last_contact_date, self.to_date(TODAY))

    def test_projects_open_done_and_delivery(self):
        done_stage = self.env["project.project.stage"].create({"name": "Done", "fold": True})
        closed = self.env["project.project"].create(
            {"name": "Old audit", "partner_id": self.contact.id}
        )
        closed.sudo().stage_id = done_stage  # stages need the "Use Stages on Project" group
        self.assertTrue(closed.retention_is_closed)
        self.assertEqual(closed.retention_date_closed, self.to_date(TODAY))
        self.env["project.update"].create(
            {
                "name": "Slipping",
                "project_id": self.project.id,
                "status": "off_track",
                "date": "2026-06-10",
            }
        )
        self.env["project.task"].create(
            {"name": "Late", "project_id": self.project.id, "date_deadline": "2026-06-01 12:00:00"}
        )
        self.recompute()
        self.assertEqual(self.customer.retention_project_open_count, 1)
        self.assertEqual(self.customer.retention_project_done_count, 1)
        factors = json.loads(self.customer.retention_health_factors)
        # off track (0) and the only open task overdue
        self.assertEqual(factors["delivery"]["score"], 0)
        self.assertEqual(self.project.retention_days_since_update, 5)

    def test_satisfaction_from_latest_rating(self):
        task = self.env["project.task"].create({"name": "Design", "project_id": self.project.id})
        self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("project.task"),
                "res_id": task.id,
                "partner_id": self.contact.id,
                "rating": 3,
                "consumed": True,
            }
        )
        self.recompute()
        factors = json.loads(self.customer.retention_health_factors)
        self.assertEqual(factors["satisfaction"]["score"], 50)
        self.assertEqual(self.project.retention_satisfaction, 50)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestCompanies(RetentionCase):
    def test_figures_are_per_company(self):
        company_b = self.setup_other_company(name="Tashkent Branch")["company"]
        self.make_invoice(self.customer, "2026-05-01", 1000)
        self.make_invoice(self.customer, "2026-05-02", 300, company=company_b)
        self.recompute()
        in_a = self.customer.with_company(self.company)
        in_b = self.customer.with_company(company_b)
        self.assertAlmostEqual(in_a.retention_revenue_12m, 1000)
        self.assertAlmostEqual(in_b.retention_revenue_12m, 300)
        self.assertEqual(in_b.retention_last_invoice_date, self.to_date("2026-05-02"))
        # a customer only of company A is a prospect in company B
        only_a = self.env["res.partner"].create({"name": "Only A", "is_company": True})
        self.make_invoice(only_a, "2026-05-01", 100)
        self.recompute(only_a)
        self.assertEqual(only_a.with_company(self.company).retention_stage, "new")
        self.assertEqual(only_a.with_company(company_b).retention_stage, "prospect")
        found_in_b = (
            self.env["res.partner"]
            .with_company(company_b)
            .search([("retention_stage", "=", "new"), ("id", "in", (only_a | self.customer).ids)])
        )
        self.assertEqual(found_in_b, self.customer)

    def test_partner_restricted_to_a_company_has_no_figures_elsewhere(self):
        company_b = self.setup_other_company(name="Tbilisi Branch")["company"]
        local = self.env["res.partner"].create(
            {"name": "Local", "is_company": True, "company_id": self.company.id}
        )
        self.make_invoice(local, "2026-05-01", 100)
        self.recompute(local)
        self.assertFalse(local.with_company(company_b).sudo().retention_stage)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRefreshJobs(RetentionCase):
    def queued_ids(self):
        self.env.cr.execute("SELECT partner_id FROM retention_profile_queue")
        return {row[0] for row in self.env.cr.fetchall()}

    def test_pending_refresh_is_shown_and_searchable(self):
        self.builder._recompute_all()
        Partner = self.env["res.partner"]
        self.assertFalse(self.customer.retention_refresh_pending)
        self.assertNotIn(self.customer, Partner.search([("retention_refresh_pending", "=", True)]))
        self.builder._queue_refresh(self.contact.ids)  # a contact's change queues its company
        self.customer.invalidate_recordset(["retention_refresh_pending"])
        self.assertTrue(self.customer.retention_refresh_pending)
        self.assertIn(self.customer, Partner.search([("retention_refresh_pending", "=", True)]))
        self.assertNotIn(self.customer, Partner.search([("retention_refresh_pending", "!=", True)]))
        self.assertNotIn(self.contact, Partner.search([("retention_refresh_pending", "=", True)]))
        self.builder._queue_refresh((self.contact | self.customer).ids)  # queued once, no error
        self.env.cr.execute(
            "SELECT COUNT(*) FROM retention_profile_queue WHERE partner_id = %s", [self.customer.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1)

    def test_changed_invoice_refreshes_its_customer(self):
        self.make_invoice(self.customer, "2026-01-10", 1000)
        self.builder._recompute_all()
        self.builder._cron_refresh_changed()  # sets the watermark
        self.assertAlmostEqual(self.customer.retention_revenue_12m, 1000)
        self.make_invoice(self.contact, "2026-06-10", 400)
        self.builder._cron_refresh_changed()
        self.assertAlmostEqual(self.customer.retention_revenue_12m, 1400)
        self.assertFalse(self.queued_ids())

    def test_payment_refreshes_overdue(self):
        invoice = self.make_invoice(self.customer, "2026-01-10", 1000, due="2026-02-10")
        self.builder._recompute_all()
        self.builder._cron_refresh_changed()
        self.assertAlmostEqual(self.customer.retention_overdue_amount, 1000)
        self.pay(invoice, TODAY)
        self.builder._cron_refresh_changed()
        self.assertAlmostEqual(self.customer.retention_overdue_amount, 0)

    def test_batches_resume_where_they_stopped(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {i}", "is_company": True} for i in range(5)]
        )
        for partner in partners:
            self.make_invoice(partner, "2026-05-01", 100)
        self.builder._queue_all_customers()
        self.assertLessEqual(set(partners.ids), self.queued_ids())
        pending = len(self.queued_ids())
        # a run that stops after one batch of 2 leaves the rest marked
        self.assertEqual(self.builder._process_queue_batch(2), 2)
        self.assertEqual(len(self.queued_ids()), pending - 2)
        done, remaining = self.builder._process_queue()
        self.assertEqual((done, remaining), (pending - 2, 0))
        self.assertTrue(all(p.retention_stage == "new" for p in partners))

    def test_daily_job_marks_once_a_day(self):
        self.make_invoice(self.customer, "2026-05-01", 100)
        self.builder._cron_recompute_all()
        self.assertEqual(self.customer.retention_stage, "new")
        self.assertFalse(self.queued_ids())
        # a second call the same day (progress rerun) does not mark everybody again
        self.builder._cron_recompute_all()
        self.assertFalse(self.queued_ids())

    def test_query_count_does_not_grow_with_batch_size(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Bulk {i}", "is_company": True} for i in range(12)]
        )
        for partner in partners:
            self.make_invoice(partner, "2026-05-01", 100)
        self.env.flush_all()

        def queries(batch):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.builder._compute_partners(batch.ids)
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(partners[:2]), queries(partners))


@tagged("post_install", "-at_install")
class TestSettingsValidation(RetentionCase):
    def test_bad_settings_are_refused(self):
        bad_values = [
            {"retention_churn_days": 0},
            {"retention_onboarding_days": -5},
            {"retention_won_back_days": -1},
            {"retention_at_risk_threshold": 120},
            {"retention_weight_recency": 150},
            {"retention_weight_payment": -1},
            {"retention_engagement_full_days": 200, "retention_engagement_zero_days": 100},
            {
                f"retention_weight_{name}": 0
                for name in (
                    "recency",
                    "trend",
                    "payment",
                    "engagement",
                    "satisfaction",
                    "delivery",
                )
            },
        ]
        for values in bad_values:
            with self.subTest(values=values), self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    self.company.write(values)

    def test_settings_form_writes_company(self):
        settings = self.env["res.config.settings"].create({"retention_churn_days": 400})
        settings.execute()
        self.assertEqual(self.company.retention_churn_days, 400)

    def test_referral_cannot_point_to_itself(self):
        with self.assertRaises(ValidationError):
            self.contact.retention_referred_by_id = self.customer
        referrer = self.env["res.partner"].create({"name": "Referrer", "is_company": True})
        self.customer.retention_referred_by_id = referrer
        self.assertEqual(referrer.retention_referral_count, 1)

    def test_account_manager_defaults_to_salesperson(self):
        user = self.env["res.users"].create(
            {
                "name": "Giorgi",
                "login": "giorgi",
                "groups_id": [Command.link(self.env.ref("base.group_user").id)],
            }
        )
        partner = self.env["res.partner"].create({"name": "Managed", "user_id": user.id})
        self.assertEqual(partner.retention_account_manager_id, user)
