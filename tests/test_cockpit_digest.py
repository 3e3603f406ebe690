"""The weekly digest (issue #19): one email per account manager per ISO week, in their
language, through the mail queue, opt-out in the preferences; two workers never send twice."""

from freezegun import freeze_time

from odoo.tests import tagged

from ..models.cockpit.retention_weekly_digest import iso_week
from .common import RETENTION_MANAGER, RETENTION_USER, TODAY, JobWorkersCase, RetentionCase

CRON = "customer_retention.ir_cron_retention_weekly_digest"


def at_risk(env, partner):
    partner.with_company(env.company).sudo().write(
        {
            "retention_stage": "at_risk",
            "retention_health_score": 30,
            "retention_main_reason_data": '{"factor": "engagement", "code": "no_contact", '
            '"params": {"days": 75}}',
        }
    )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestWeeklyDigest(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups(RETENTION_MANAGER)
        cls.am = cls.new_company_user(
            "digest_am",
            f"base.group_user,{RETENTION_USER}",
            name="Dato Digest",
            email="dato@example.com",
        )
        cls.customer.retention_account_manager_id = cls.am
        at_risk(cls.env, cls.customer)
        cls.Digest = cls.env["retention.weekly.digest"]

    def mails(self, user=None):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", (user or self.am).partner_id.ids)]
        )

    def test_one_per_week_however_often_it_runs(self):
        self.env.ref(CRON).method_direct_trigger()
        self.env.ref(CRON).method_direct_trigger()
        mail = self.mails()
        self.assertEqual(len(mail), 1)
        self.assertIn("Batumi Port Logistics", mail.body_html)
        self.assertIn("no contact for 75 days", mail.body_html)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(self.am.sudo().retention_digest_week, iso_week(self.to_date(TODAY)))
        # next week: the next one
        with freeze_time("2026-06-22"):
            self.Digest._cron_send_weekly_digest()
        self.assertEqual(len(self.mails()), 2)

    def test_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("ka_GE")
        self.env["ir.module.module"]._load_module_terms(["customer_retention"], ["ka_GE"])
        self.am.lang = "ka_GE"
        self.Digest._cron_send_weekly_digest()
        mail = self.mails()
        self.assertEqual(len(mail), 1)
        self.assertNotIn("Your customers this week", mail.subject)
        self.assertNotIn("no contact for 75 days", mail.body_html)

    def test_opt_out_from_the_preferences(self):
        # the user sets it on their own preferences
        self.am.with_user(self.am).write({"retention_digest_opt_out": True})
        self.Digest._cron_send_weekly_digest()
        self.assertFalse(self.mails())

    def test_nothing_to_act_on_sends_nothing(self):
        self.customer.with_company(self.env.company).sudo().write({"retention_stage": "active"})
        self.Digest._cron_send_weekly_digest()
        self.assertFalse(self.mails())


@tagged("post_install", "-at_install")
class TestWeeklyDigestWorkers(JobWorkersCase):
    def test_two_workers_send_one_email(self):
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            group = env.ref(RETENTION_USER)
            user = env["res.users"].create(
                {
                    "name": "Worker Digest",
                    "login": "worker_digest",
                    "email": "worker@example.com",
                    "groups_id": [(6, 0, [env.ref("base.group_user").id, group.id])],
                }
            )
            partner = env["res.partner"].create(
                {
                    "name": "Worker Customer",
                    "is_company": True,
                    "customer_rank": 1,
                    "retention_account_manager_id": user.id,
                }
            )
            at_risk(env, partner)
            user_id, partner_id, partner_ref = user.id, partner.id, user.partner_id.id
        self.addCleanup(self._cleanup, user_id, partner_id, partner_ref)
        week = iso_week(__import__("datetime").date.today())
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            first = self.env_of(cr1)["retention.weekly.digest"]._send_batch(week)
            # the second worker skips the user the first one holds
            second = self.env_of(cr2)["retention.weekly.digest"]._send_batch(week)
            self.assertGreaterEqual(first, 1)
            cr2.execute("SELECT retention_digest_week FROM res_users WHERE id = %s", [user_id])
            self.assertIsNone(cr2.fetchone()[0])
            self.assertNotIn(user_id, self._claimed(cr2, week))
            cr1.commit()
            del second
        with self.registry.cursor() as cr3:
            env3 = self.env_of(cr3)
            # marked: a later run of the week sends nothing more
            env3["retention.weekly.digest"]._send_batch(week)
            mails = env3["mail.mail"].search([("recipient_ids", "in", [partner_ref])])
            self.assertEqual(len(mails), 1)

    def _claimed(self, cr, week):
        cr.execute("SELECT id FROM res_users WHERE retention_digest_week = %s", [week])
        return {row[0] for row in cr.fetchall()}

    def _cleanup(self, user_id, partner_id, partner_ref):
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            env["mail.mail"].search([("recipient_ids", "in", [partner_ref])]).unlink()
            env["res.partner"].browse(partner_id).unlink()
            env["res.users"].browse(user_id).unlink()
