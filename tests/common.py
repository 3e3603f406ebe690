from contextlib import contextmanager
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.customer_retention.models import retention_job_mixin
from odoo.addons.customer_retention.models.retention_job_mixin import RetentionJobMixin

#: The day every test runs on (tests freeze time to it).
TODAY = "2026-06-15"


@tagged("post_install", "-at_install")
class RetentionCase(AccountTestInvoicingCommon):
    """Invoices, payments and customers built by hand, with the figures recomputed on demand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.builder = cls.env["retention.profile.builder"]
        cls.company = cls.env.company
        cls.customer = cls.env["res.partner"].create(
            {"name": "Batumi Port Logistics", "is_company": True, "customer_rank": 1}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Nino Beridze", "parent_id": cls.customer.id, "email": "nino@bpl.example"}
        )

    @classmethod
    def make_invoice(
        cls,
        partner,
        day,
        amount,
        move_type="out_invoice",
        due=None,
        currency=None,
        company=None,
        post=True,
        reversed_entry=None,
    ):
        """A customer invoice (or credit note) of one untaxed line, posted by default."""
        company = company or cls.env.company
        journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        )
        values = {
            "move_type": move_type,
            "partner_id": partner.id,
            "company_id": company.id,
            "journal_id": journal.id,
            "invoice_date": day,
            "date": day,
            "invoice_date_due": due or day,
            "invoice_line_ids": [
                Command.create(
                    {"name": "Consulting", "quantity": 1, "price_unit": amount, "tax_ids": []}
                )
            ],
        }
        if currency:
            values["currency_id"] = currency.id
        if reversed_entry:
            values["reversed_entry_id"] = reversed_entry.id
        move = cls.env["account.move"].with_company(company).create(values)
        if post:
            move.action_post()
        return move

    @classmethod
    def pay(cls, invoices, day):
        """Register the full payment of these invoices on that day."""
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"payment_date": day, "group_payment": False})._create_payments()

    def recompute(self, partners=None):
        partners = partners or self.customer
        self.builder._compute_partners(partners.commercial_partner_id.ids)

    @staticmethod
    def to_date(value):
        return fields.Date.to_date(value)


# ----------------------------------------------------------------------
# Scheduled jobs (retention.job.mixin)
# ----------------------------------------------------------------------
class JobWorkersCase(BaseCase):
    """Jobs in real transactions, as cron workers run them: each ``self.registry.cursor()``
    is a worker and what it commits stays (tests clean their data up with addCleanup). The
    concurrency of the job helper is tested once on this base (tests/test_job_mixin.py);
    each job's own worker tests use it for what only that job does."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())

    @staticmethod
    def env_of(cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def create_committed(self, model, values_list):
        """Records committed for the test, as other workers see them; deleted after it."""
        with self.registry.cursor() as cr:
            ids = self.env_of(cr)[model].create(values_list).ids
        self.addCleanup(self._unlink_committed, model, ids)
        return ids

    def _unlink_committed(self, model, ids):
        with self.registry.cursor() as cr:
            self.env_of(cr)[model].browse(ids).unlink()

    def queued(self, partner_ids):
        """Which of these customers wait in the refresh queue, as committed."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT partner_id FROM retention_profile_queue WHERE partner_id = ANY(%s)",
                [list(partner_ids)],
            )
            return {row[0] for row in cr.fetchall()}

    @contextmanager
    def committing(self):
        """Jobs commit their batches as they do outside tests."""
        with patch.object(RetentionJobMixin, "_job_can_commit", lambda self: True):
            yield


@contextmanager
def one_batch_per_call():
    """A time budget spent by the first batch: each call of a job does one batch and hands
    back, with the rest reported as remaining."""
    with patch.object(retention_job_mixin, "JOB_TIME_BUDGET", 0):
        yield


@contextmanager
def counting_commits():
    """The commits a job asks for, counted (inside tests none is made)."""
    asked = []

    def can_commit(model):
        asked.append(model._name)
        return False

    with patch.object(RetentionJobMixin, "_job_can_commit", can_commit):
        yield asked


def run_cron(env, xmlid):
    """Run a scheduled action as Odoo's cron runner does (its server action, with a progress
    record in the context), in this transaction; returns the (done, remaining) it reported."""
    cron = env.ref(xmlid).sudo()
    cron.method_direct_trigger()
    progress = (
        env["ir.cron.progress"].sudo().search([("cron_id", "=", cron.id)], order="id desc", limit=1)
    )
    return progress.done, progress.remaining
