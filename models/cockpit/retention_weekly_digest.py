from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL

#: Account managers claimed per batch.
DIGEST_BATCH = 50
#: The cockpit lists the digest tells about, in this order.
DIGEST_LISTS = ("at_risk", "reengage", "risk_cases", "reviews", "renewals", "activities")


def iso_week(day):
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


class RetentionWeeklyDigest(models.AbstractModel):
    """Once per ISO week, each account manager with something on their cockpit gets one email
    (the cockpit in short, with links), in their language, through the mail queue. The week
    sent is marked on the user in the transaction that queues the email: a user is claimed
    with SKIP LOCKED (FOR NO KEY UPDATE), so two workers never take the same one, and a second
    run of the week finds them marked."""

    _name = "retention.weekly.digest"
    _inherit = ["retention.job.mixin"]
    _description = "Retention weekly digest"

    @api.model
    def _cron_send_weekly_digest(self):
        week = iso_week(fields.Date.context_today(self))
        return self._job_run_batches(
            iter(partial(self._send_batch, week), 0), remaining=partial(self._pending_count, week)
        )

    @api.model
    def _pending_condition(self, week):
        return SQL(
            """
            active AND NOT share AND NOT COALESCE(retention_digest_opt_out, FALSE)
            AND retention_digest_week IS DISTINCT FROM %s
            AND id IN (SELECT retention_account_manager_id FROM res_partner
                        WHERE retention_account_manager_id IS NOT NULL AND active)
            """,
            week,
        )

    @api.model
    def _pending_count(self, week):
        self.env.cr.execute(
            SQL("SELECT COUNT(*) FROM res_users WHERE %s", self._pending_condition(week))
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _send_batch(self, week):
        """Claim up to DIGEST_BATCH account managers not sent this week, queue their emails and
        mark them. Returns how many were claimed."""
        self.env["res.users"].flush_model()
        user_ids = self._job_claim(
            "res_users",
            condition=self._pending_condition(week),
            order=SQL("id"),
            limit=DIGEST_BATCH,
            # not FOR UPDATE: that lock conflicts with the key-share locks every insert that
            # refers to a user takes (an activity, a message), and those workers would then
            # fail with a serialization error; the week marker is no key column
            lock="no key update",
        )
        if not user_ids:
            return 0
        # sudo: the job reads each manager's cockpit as that manager, and queues the mail
        for user in self.env["res.users"].sudo().browse(user_ids):
            self._queue_digest(user, week)
        self.env.cr.execute(
            SQL(
                "UPDATE res_users SET retention_digest_week = %s WHERE id = ANY(%s)",
                week,
                user_ids,
            )
        )
        self.env["res.users"].invalidate_model(["retention_digest_week"])
        return len(user_ids)

    @api.model
    def _queue_digest(self, user, week):
        """The email of this user's cockpit, in their language; none when every list is empty
        or the user has no email address."""
        if not user.email:
            return self.env["mail.mail"]
        company = user.company_id
        env = self.env(user=user.id, context={**self.env.context, "lang": user.lang})
        cockpit = env["retention.cockpit"].with_company(company)
        data = cockpit.get_cockpit_data()
        if not any(data[name] for name in DIGEST_LISTS):
            return self.env["mail.mail"]
        body = cockpit._digest_body(data)
        count = sum(len(data[name]) for name in DIGEST_LISTS)
        # sudo: the job queues the mail of the module for this user
        return (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": env._(
                        "Your customers this week (%(week)s): %(count)s to act on",
                        week=week,
                        count=count,
                    ),
                    "body_html": body,
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "recipient_ids": [(4, user.partner_id.id)],
                    "auto_delete": True,
                }
            )
        )
