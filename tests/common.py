"""Test bases shared by the test files: the invoicing base (RetentionCase) and, on it, one base
per feature (follow-ups, feedback, analytics), one for the browser tours and one for the
scheduled jobs in real transactions (JobWorkersCase). A base holds the fixtures and helpers
several files use; a file keeps what only its own tests need."""

import importlib.util
import re
import shutil
import unittest
from collections import defaultdict
from contextlib import contextmanager
from datetime import date
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields, http
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, HttpCase, get_db_name, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.customer_retention.models import retention_job_mixin
from odoo.addons.customer_retention.models.retention_job_mixin import RetentionJobMixin

from ..engine import metrics

#: The day every test runs on (tests freeze time to it).
TODAY = "2026-06-15"
RETENTION_USER = "customer_retention.group_retention_user"
RETENTION_MANAGER = "customer_retention.group_retention_manager"
TODO = "mail.mail_activity_data_todo"
DETRACTOR_TYPE = "customer_retention.mail_activity_type_detractor"
#: The executables Odoo's browser tours look for (odoo.tests.common._find_executable).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def load_source(path, name):
    """The Python file at ``path`` (a script or a migration step, not a package module),
    loaded as the module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def new_company_user(env, login, groups, companies, **values):
    """A user allowed in ``companies`` only (the first one its current company), with these
    groups (comma-separated xml ids); ``values`` go to the user (e.g. its name)."""
    return new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=companies[0].id,
        company_ids=[Command.set(companies.ids)],
        **values,
    )


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
    def add_groups(cls, *xmlids):
        """Give the test's own user (the fixtures' author) these groups too."""
        cls.env.user.groups_id = [Command.link(cls.env.ref(xmlid).id) for xmlid in xmlids]

    @classmethod
    def new_company_user(cls, login, groups, company=None, **values):
        """A user of the test's company only (or of ``company``), see new_company_user."""
        return new_company_user(cls.env, login, groups, company or cls.company, **values)

    @classmethod
    def add_other_company(cls, name):
        """A second company, in which the test's own user works too (the users made by
        new_company_user stay in theirs)."""
        company = cls.setup_other_company(name=name)["company"]
        cls.env.user.company_ids = [Command.link(company.id)]
        return company

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

    @classmethod
    def paying_customer(cls, name, amount, **values):
        """A company customer invoiced ``amount`` today, paid at once, with figures computed."""
        today = fields.Date.context_today(cls.env["res.partner"])
        customer = cls.env["res.partner"].create({"name": name, "is_company": True, **values})
        cls.pay(cls.make_invoice(customer, today, amount), today)
        cls.builder._compute_partners(customer.ids)
        return customer

    @classmethod
    def make_late_payer(cls, partner):
        """The health-history story: invoiced in November, due on 10 December and paid late
        on 20 March; invoiced and paid on 5 February; invoiced on 1 June, open. Returns the
        late invoice."""
        late = cls.make_invoice(partner, "2025-11-10", 1000, due="2025-12-10")
        cls.pay(late, "2026-03-20")
        cls.pay(cls.make_invoice(partner, "2026-02-05", 500), "2026-02-05")
        cls.make_invoice(partner, "2026-06-01", 500)
        return late

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


class FollowupCase(RetentionCase):
    """A customer with an account manager and a salesperson, a project manager and a user; the
    shipped rules archived (each test makes its own)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups(RETENTION_MANAGER, "project.group_project_manager")
        # the shipped rules stay out of the way: each test makes its own
        cls.env["retention.followup.rule"].search([]).active = False
        cls.Rule = cls.env["retention.followup.rule"]
        cls.Log = cls.env["retention.followup.log"]
        groups = f"base.group_user,{RETENTION_USER}"
        cls.account_manager = cls.new_company_user("fu_am", groups, name="Ana Account")
        cls.salesperson = cls.new_company_user("fu_sp", groups, name="Sandro Sales")
        cls.project_manager = cls.new_company_user("fu_pm", groups, name="Pati Project")
        cls.named_user = cls.new_company_user("fu_named", groups, name="Nika Named")
        cls.customer.write(
            {"user_id": cls.salesperson.id, "retention_account_manager_id": cls.account_manager.id}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {
                "name": "Zestafoni Metals",
                "is_company": True,
                "customer_rank": 1,
                "retention_account_manager_id": cls.account_manager.id,
                "user_id": cls.salesperson.id,
            }
        )
        cls.todo = cls.env.ref(TODO)

    @classmethod
    def make_rule(cls, trigger, actions=None, **values):
        """An active rule of the current company, counting events since January."""
        actions = actions or [
            {"activity_type_id": cls.todo.id, "summary": "Follow up", "assignee": "account_manager"}
        ]
        return cls.env["retention.followup.rule"].create(
            {
                "name": f"Rule {trigger}",
                "trigger": trigger,
                "date_from": "2026-01-01",
                "action_ids": [Command.create(action) for action in actions],
                **values,
            }
        )

    @classmethod
    def make_project(cls, partner=None, **values):
        return cls.env["project.project"].create(
            {
                "name": "Harbour audit",
                "partner_id": (partner or cls.customer).id,
                "user_id": cls.project_manager.id,
                "date_start": "2026-06-01",
                "company_id": cls.company.id,
                **values,
            }
        )

    def set_figures(self, partner, company=None, **values):
        """Write company-dependent retention figures as the profile builder would."""
        partner.with_company(company or self.company).sudo().write(values)

    def logs(self, rule):
        return self.Log.search([("rule_id", "=", rule.id)])

    def activities(self, record, summary="Follow up"):
        return record.activity_ids.filtered(lambda a: a.summary == summary)


class FeedbackCase(RetentionCase):
    """A customer with an account manager and a contact with an email; another customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups(RETENTION_MANAGER, "project.group_project_manager")
        cls.account_manager = cls.new_company_user(
            "fb_am", f"base.group_user,{RETENTION_USER}", name="Ana Account"
        )
        cls.customer.retention_account_manager_id = cls.account_manager
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Zestafoni Metals", "is_company": True, "customer_rank": 1}
        )
        cls.other_contact = cls.env["res.partner"].create(
            {
                "name": "Giorgi Kapanadze",
                "parent_id": cls.other_customer.id,
                "email": "giorgi@zm.example",
            }
        )
        cls.Feedback = cls.env["retention.feedback"]

    @classmethod
    def request(cls, partner=None, kind="nps", **kwargs):
        return cls.env["retention.feedback"]._request(partner or cls.customer, kind=kind, **kwargs)

    def detractor_alerts(self, partner=None):
        activity_type = self.env.ref(DETRACTOR_TYPE)
        return (partner or self.customer).activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )


class FeedbackPageMixin:
    """The public feedback page through real HTTP requests (for HttpCase classes)."""

    def url(self, feedback, suffix=""):
        return f"/retention/feedback/{feedback.sudo().feedback_token}{suffix}"

    def csrf_token(self, feedback):
        response = self.url_open(self.url(feedback))
        self.assertEqual(response.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def submit(self, feedback, score, comment="", token=None):
        return self.url_open(
            self.url(feedback, "/submit"),
            data={
                "csrf_token": token or self.csrf_token(feedback),
                "score": score,
                "comment": comment,
            },
        )


@tagged("post_install", "-at_install")
class RetentionAnalyticsCase(RetentionCase):
    """A small hand-built history (described in test_retention_snapshot.py) and its snapshots.
    Subclasses freeze the time (not this base class: freezegun binds a decorated class's
    setUpClass to that class, which would share its cursor with them)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups(RETENTION_USER)
        cls.eur = cls.setup_other_currency("EUR")
        Partner = cls.env["res.partner"]
        names = ["A Steady", "B Churner", "C Refunded", "D Euro", "E Lost", "F New"]
        cls.a, cls.b, cls.c, cls.d, cls.e, cls.f = (
            Partner.create({"name": f"Analytics {name}", "is_company": True}) for name in names
        )
        cls.make_invoice(cls.a, "2025-04-15", 1000)
        cls.make_invoice(cls.a, "2025-07-10", 1000)
        cls.make_invoice(cls.a, "2026-01-10", 1000)
        cls.make_invoice(cls.a, "2026-06-01", 500)
        cls.make_invoice(cls.b, "2024-03-05", 2000)
        cls.make_invoice(cls.b, "2025-05-20", 800)
        invoice_c = cls.make_invoice(cls.c, "2026-02-10", 1500)
        cls.make_invoice(cls.c, "2026-03-15", 500, move_type="out_refund", reversed_entry=invoice_c)
        cls.make_invoice(cls.d, "2025-11-20", 2000, currency=cls.eur)
        cls.make_invoice(cls.d, "2026-05-05", 400, currency=cls.eur)
        cls.make_invoice(cls.e, "2025-04-01", 600)
        cls.make_invoice(cls.f, "2026-05-10", 300)
        # a draft and a cancelled invoice count for nothing
        cls.make_invoice(cls.a, "2026-06-02", 9999, post=False)
        cls.make_invoice(cls.f, "2026-06-03", 7777).button_cancel()
        # D is at risk today (as the profile builder would have found)
        cls.d.with_company(cls.company).sudo().write(
            {"retention_stage": "at_risk", "retention_health_score": 35}
        )
        cls.customers = cls.a | cls.b | cls.c | cls.d | cls.e | cls.f
        cls.Snapshot = cls.env["retention.snapshot"]
        cls.Snapshot._backfill(cls.company)

    def snapshots(self):
        """{(partner, month): (revenue_month, revenue_12m, lifetime, active, new, won back,
        cohort, stage, health)} of the company."""
        rows = self.Snapshot.search([("company_id", "=", self.company.id)])
        return {
            (r.partner_id.id, r.month): (
                round(r.revenue_month, 2),
                round(r.revenue_12m, 2),
                round(r.revenue_lifetime, 2),
                r.is_active,
                r.is_new,
                r.is_won_back,
                r.first_invoice_month,
                r.stage,
                r.health_score,
            )
            for r in rows
        }

    def snap(self, partner, month):
        return self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("partner_id", "=", partner.id),
                ("month", "=", month),
            ]
        )

    def live_monthly_revenue(self):
        """Revenue per (partner, month) straight from the posted invoices, by the ORM."""
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ]
        )
        revenue = defaultdict(float)
        for move in moves:
            revenue[move.commercial_partner_id.id, move.invoice_date.replace(day=1)] += (
                move.amount_untaxed_signed
            )
        return revenue

    def live_period(self, start, months):
        """CustomerPeriod rows computed in Python from the invoices (the reference)."""
        revenue = self.live_monthly_revenue()
        today = date(2026, 6, 1)
        end = min(start + relativedelta(months=months - 1), today)
        before = start - relativedelta(months=1)

        def t12m(partner, month):
            return sum(revenue[partner, month - relativedelta(months=n)] for n in range(12))

        def lifetime(partner, month):
            return sum(v for (p, m), v in revenue.items() if p == partner and m <= month)

        # the first invoice (not a credit note) opens the customer's history (engine.metrics)
        firsts = {}
        for move in self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice"),
            ]
        ):
            partner, month = move.commercial_partner_id.id, move.invoice_date.replace(day=1)
            firsts[partner] = min(firsts.get(partner, month), month)
        rows = []
        for partner in self.customers:
            pid = partner.id
            t_start, t_end = t12m(pid, before), t12m(pid, end)
            period = sum(
                revenue[pid, start + relativedelta(months=n)]
                for n in range(months)
                if start + relativedelta(months=n) <= end
            )
            rows.append(
                metrics.CustomerPeriod(
                    active_start=t_start > 0,
                    active_end=t_end > 0,
                    revenue_start=t_start,
                    revenue_end=t_end,
                    revenue_period=period,
                    repeat=pid in firsts and firsts[pid] < start,
                    new=pid in firsts and start <= firsts[pid] <= end,
                    at_risk=partner == self.d,
                    revenue_lifetime=lifetime(pid, end),
                )
            )
        return metrics.summarize(rows)

    def report_totals(self, period_type, start):
        """Every count and money column of the report summed, the rates averaged, over the
        company's rows of one period; then the rates of those totals (engine.metrics)."""
        Report = self.env["retention.metric.report"]
        summed = [
            name
            for name, field in Report._fields.items()
            if field.type in ("integer", "monetary") and name != "id"
        ]
        names = summed + ["retention_rate", "churn_rate"]
        [values] = Report._read_group(
            [
                ("company_id", "=", self.company.id),
                ("period_type", "=", period_type),
                ("period_start", "=", start),
            ],
            [],
            [f"{name}:sum" for name in summed] + ["retention_rate:avg", "churn_rate:avg"],
        )
        # no row at all (a period before the first invoice): sums are empty
        totals = {name: value or 0 for name, value in zip(names, values, strict=True)}
        return metrics.rates(totals)


class RetentionTourCase(RetentionCase, HttpCase):
    """Browser tours. Odoo skips a tour that cannot start (no browser, no websocket-client, a
    browser that does not answer) and the run stays green: here that is a failure."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not any(shutil.which(name) for name in BROWSERS):
            raise AssertionError(
                "No Chromium found: install it (apt-get install chromium) to run the browser tours."
            )
        # Load the static file map once before the browser's parallel requests (CPython
        # gh-106905, fixed in 3.11.8, can otherwise fail them).
        cls.static_files = http.root.statics

    @classmethod
    def show_admin_the_company(cls):
        """Figures and reviews are per company: the admin (who runs the tour) works in the
        company the fixtures were made in."""
        admin = cls.env.ref("base.user_admin")
        admin.write({"company_ids": [Command.link(cls.company.id)], "company_id": cls.company.id})
        return admin

    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        try:
            return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)
        except unittest.SkipTest as skipped:
            self.fail(f"The tour {tour_name} could not start: {skipped}")
