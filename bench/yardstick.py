"""What the benchmark's figures and data are checked against.

- The naive version (path 3a): a straightforward per-customer ORM implementation of the
  retention figures, kept in the bench only. It is timed against the builder on the same
  customers, and the builder's stored figures must equal its figures.
- Odoo's own computes: a sample of the generated records (amounts, residuals, payment state,
  reconciliation, project status) recomputed by Odoo in a cursor that is rolled back, and
  compared with what the generator stored.
"""

from collections import defaultdict
from dataclasses import dataclass

import odoo
from odoo import fields

# the figures the naive version and the builder must agree on
COMPARED = (
    "retention_customer_since", "retention_last_invoice_date", "retention_last_contact_date",
    "retention_revenue_12m", "retention_revenue_prev_12m", "retention_revenue_lifetime",
    "retention_repeat_revenue_share", "retention_overdue_amount", "retention_overdue_days",
    "retention_invoice_count", "retention_credit_note_count", "retention_project_open_count",
    "retention_project_done_count", "retention_health_score", "retention_stage",
)  # fmt: skip

# the stored fields of the generated records that Odoo recomputes for the data checks
RECOMPUTED = {
    "account.move": (
        "amount_untaxed", "amount_total", "amount_residual", "amount_untaxed_signed",
        "amount_total_signed", "amount_residual_signed", "payment_state", "commercial_partner_id",
    ),
    "account.move.line": ("amount_residual", "amount_residual_currency", "reconciled"),
    "account.payment": ("is_reconciled",),  # state depends on its own previous value
    "project.project": ("retention_is_closed", "last_update_status"),
}  # fmt: skip


# ----------------------------------------------------------------------------------------
# The naive version
# ----------------------------------------------------------------------------------------
def naive_compute(env, partner_ids, today):
    """For each customer: ORM searches of its invoices, messages, projects, tasks and ratings,
    the figures summed in Python, the engine's score, and an ORM write per company.
    Returns {(company_id, partner_id): values} for the comparison with the builder."""
    return NaiveYardstick(env, today).compute(partner_ids)


@dataclass
class InvoiceFigures:
    """A customer's posted invoices and credit notes in one company, summed the plain way."""

    dates: list  # of the customer invoices (no credit notes), in order
    invoice_count: int
    winback: object = None  # the last invoice after a gap longer than the churn delay
    revenue_12m: float = 0.0
    revenue_prev: float = 0.0
    lifetime: float = 0.0
    repeat: float = 0.0  # revenue after the first invoice date
    overdue_amount: float = 0.0
    overdue_days: int = 0
    count_12m: int = 0
    refunds_12m: int = 0

    @property
    def first(self):
        return self.dates[0] if self.dates else None

    @property
    def last(self):
        return self.dates[-1] if self.dates else None


def invoice_figures(invoices, churn_days, today, start_12m, start_24m):
    out = invoices.filtered(lambda m: m.move_type == "out_invoice").sorted(
        lambda m: (m.invoice_date, m.id)
    )
    figures = InvoiceFigures(dates=[m.invoice_date for m in out], invoice_count=len(out))
    dates, first = figures.dates, figures.first
    for before, after in zip(dates, dates[1:], strict=False):
        if (after - before).days > churn_days:
            figures.winback = after
    for move in invoices:
        amount = move.amount_untaxed_signed
        figures.lifetime += amount
        if first and move.invoice_date > first:
            figures.repeat += amount
        if move.invoice_date > start_12m:
            figures.revenue_12m += amount
            if move.move_type == "out_invoice":
                figures.count_12m += 1
            else:
                figures.refunds_12m += 1
        elif move.invoice_date > start_24m:
            figures.revenue_prev += amount
        if (
            move.move_type == "out_invoice"
            and move.invoice_date_due < today
            and move.payment_state in ("not_paid", "partial")
        ):
            figures.overdue_amount += move.amount_residual_signed
            figures.overdue_days = max(figures.overdue_days, (today - move.invoice_date_due).days)
    return figures


class NaiveYardstick:
    """The per-customer ORM loop behind ``naive_compute``."""

    def __init__(self, env, today):
        from dateutil.relativedelta import relativedelta

        self.env = env
        self.today = today
        self.partners = env["res.partner"].with_context(active_test=False)
        self.moves = env["account.move"]
        self.messages = env["mail.message"]
        self.projects = env["project.project"].with_context(active_test=False)
        self.tasks = env["project.task"]
        self.ratings = env["rating.rating"]
        self.companies = env["res.company"].search([])
        self.start_12m = today - relativedelta(months=12)
        self.start_24m = today - relativedelta(months=24)
        self.now = fields.Datetime.now()
        contact_types = env["mail.activity.type"].search(
            [("retention_counts_as_contact", "=", True)]
        )
        # the messages that count as a contact with the customer
        self.real = [
            "|",
            "&",
            "&",
            ("message_type", "in", ("email", "comment", "email_outgoing")),
            ("is_internal", "=", False),
            "|",
            ("subtype_id", "=", False),
            ("subtype_id.internal", "=", False),
            ("mail_activity_type_id", "in", contact_types.ids),
        ]

    def compute(self, partner_ids):
        computed = {}
        for partner in self.partners.browse(partner_ids):
            computed.update(self._compute_customer(partner))
        self.env.flush_all()
        return computed

    def _compute_customer(self, partner):
        people = self.partners.search([("commercial_partner_id", "=", partner.id)])
        moves = self.moves.search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ]
        )
        projects = self.projects.search([("partner_id", "in", people.ids)])
        contact_dates = self._contact_dates(people, projects, moves)
        satisfaction = self._satisfaction(people)
        posted = moves.filtered(lambda m: m.state == "posted")
        computed = {}
        for company in self.companies:
            if partner.company_id and partner.company_id != company:
                continue
            seen = [d for d in contact_dates[None] + contact_dates[company.id] if d]
            computed[(company.id, partner.id)] = self._compute_in_company(
                partner, company, posted, projects, seen, satisfaction
            )
        return computed

    def _last_message_date(self, domain):
        message = self.messages.search(domain + self.real, order="date desc", limit=1)
        return message.date.date() if message else None

    def _contact_dates(self, people, projects, moves):
        """The last contact dates by company (None: in any company): on the customer and its
        people, authored by them, on their projects, on their invoices."""
        last = self._last_message_date
        contact_dates = defaultdict(list)
        contact_dates[None].append(
            last([("model", "=", "res.partner"), ("res_id", "in", people.ids)])
        )
        contact_dates[None].append(last([("author_id", "in", people.ids)]))
        for project in projects:
            contact_dates[project.company_id.id or None].append(
                last([("model", "=", "project.project"), ("res_id", "=", project.id)])
            )
        for company_moves in moves.grouped("company_id").values():
            contact_dates[company_moves.company_id.id].append(
                last([("model", "=", "account.move"), ("res_id", "in", company_moves.ids)])
            )
        return contact_dates

    def _satisfaction(self, people):
        rating = self.ratings.search(
            [("partner_id", "in", people.ids), ("consumed", "=", True), ("rating", ">=", 1)],
            order="write_date desc, id desc",
            limit=1,
        )
        from odoo.addons.customer_retention.engine.feedback import RATING, satisfaction_of

        return satisfaction_of(RATING, round(rating.rating)) if rating else None

    def _compute_in_company(self, partner, company, posted, projects, seen, satisfaction):
        """The figures of ``partner`` in ``company`` from its posted invoices, its projects,
        the contact dates ``seen`` and its satisfaction, evaluated by the engine and written
        with the ORM."""
        from odoo.addons.customer_retention.engine.health import CustomerFacts, evaluate

        rules = company._retention_stage_rules()
        invoices = posted.filtered(lambda m, c=company: m.company_id == c)
        figures = invoice_figures(
            invoices, rules.churn_days, self.today, self.start_12m, self.start_24m
        )
        open_projects, done = self._project_facts(projects, company)
        facts = CustomerFacts(
            first_invoice_date=figures.first,
            last_invoice_date=figures.last,
            invoice_date_count=len(set(figures.dates)),
            last_winback_date=figures.winback,
            revenue_12m=figures.revenue_12m,
            revenue_prev_12m=figures.revenue_prev,
            invoice_count_12m=figures.count_12m,
            credit_note_count_12m=figures.refunds_12m,
            overdue_amount=figures.overdue_amount,
            overdue_days=figures.overdue_days,
            last_contact_date=max(seen) if seen else None,
            satisfaction=satisfaction,
            open_projects=tuple(open_projects),
        )
        result = evaluate(facts, company._retention_weights(), rules, self.today)
        lifetime = figures.lifetime
        values = {
            "retention_customer_since": figures.first,
            "retention_last_invoice_date": figures.last,
            "retention_last_contact_date": facts.last_contact_date,
            "retention_revenue_12m": figures.revenue_12m,
            "retention_revenue_prev_12m": figures.revenue_prev,
            "retention_revenue_lifetime": lifetime,
            "retention_repeat_revenue_share": (
                round(100.0 * figures.repeat / lifetime, 1) if lifetime > 0 else 0.0
            ),
            "retention_overdue_amount": figures.overdue_amount,
            "retention_overdue_days": figures.overdue_days,
            "retention_invoice_count": figures.invoice_count,
            "retention_credit_note_count": figures.refunds_12m,
            "retention_project_open_count": len(open_projects),
            "retention_project_done_count": done,
            "retention_health_score": result.health,
            "retention_stage": result.stage,
        }
        self._write(partner.with_company(company), values)
        return values

    def _project_facts(self, projects, company):
        """The customer's open projects in ``company`` as the engine sees them, and the number
        of closed ones (archived projects that were not closed do not count)."""
        from odoo.addons.customer_retention.engine.health import ProjectFacts

        open_projects, done = [], 0
        for project in projects:
            if project.company_id and project.company_id != company:
                continue
            if not (project.active or project.retention_is_closed):
                continue
            if project.retention_is_closed:
                done += 1
                continue
            task_domain = [
                ("project_id", "=", project.id),
                ("state", "not in", ("1_done", "1_canceled")),
            ]
            update = project.last_update_id
            status = project.last_update_status
            open_projects.append(
                ProjectFacts(
                    status=status if status and status != "to_define" else None,
                    days_since_update=(self.today - update.date).days if update.date else None,
                    open_task_count=self.tasks.search_count(task_domain),
                    overdue_task_count=self.tasks.search_count(
                        task_domain + [("date_deadline", "<", self.now)]
                    ),
                )
            )
        return open_projects, done

    def _write(self, partner, values):
        """One ORM write per company, with the trend and the stage date when they change."""
        old_health, old_stage = partner.retention_health_score, partner.retention_stage
        health, stage = values["retention_health_score"], values["retention_stage"]
        if old_health != health:
            values["retention_health_score_prev"] = old_health
            values["retention_health_trend"] = "up" if health > old_health else "down"
        if old_stage != stage:
            values["retention_stage_date"] = self.today
        partner.write(values)


def compare_figures(cr, expected):
    """Mismatches between the figures stored (by the builder) and the naive ones."""
    by_company = defaultdict(list)
    for company_id, partner_id in expected:
        by_company[company_id].append(partner_id)
    mismatches = []
    columns = ", ".join(f"{name}->>%(key)s" for name in COMPARED)
    for company_id, partner_ids in by_company.items():
        cr.execute(
            f"SELECT id, {columns} FROM res_partner WHERE id = ANY(%(ids)s)",
            {"key": str(company_id), "ids": partner_ids},
        )
        for row in cr.fetchall():
            stored = dict(zip(COMPARED, row[1:], strict=False))
            naive = expected[(company_id, row[0])]
            mismatches += [
                f"partner {row[0]} company {company_id} {name}: naive {naive.get(name)!r}, "
                f"builder {stored[name]!r}"
                for name in COMPARED
                if not _same_figure(naive.get(name), stored[name])
            ]
    return mismatches


def _same_figure(want, got):
    """A naive figure against the builder's (the text of a jsonb value)."""
    if isinstance(want, float):
        return abs(want - float(got or 0)) < 0.01
    if isinstance(want, int):
        return want == int(got or 0)
    if want in (None, False):
        return got is None
    return str(want) == got


# ----------------------------------------------------------------------------------------
# Odoo's own computes
# ----------------------------------------------------------------------------------------
def check_generated_data(data, change=False):
    """A sample of the records ``data`` (a DataBuilder) generated, recomputed by Odoo and
    compared with what was stored; ``change``: the invoices paid by the incremental path and
    their payments instead. Returns (records checked, differences)."""
    return recompute_stored(data.env.registry, data.generated_samples(change=change))


def recompute_stored(registry, ids_by_model):
    """Recompute the RECOMPUTED fields of the records with Odoo's own compute methods, in a
    cursor that is rolled back, and compare with what was stored."""
    problems = []
    checked = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        for model, ids in ids_by_model.items():
            records = env[model].browse(ids)
            problems += _recomputed_differences(records, RECOMPUTED[model])
            checked += len(records)
        cr.rollback()
    return checked, problems


def _recomputed_differences(records, names):
    env = records.env
    stored = {name: {rec.id: rec[name] for rec in records} for name in names}  # from the database
    env.invalidate_all()
    for name in names:
        field = records._fields[name]
        if field.compute:
            env.add_to_compute(field, records)
    problems = []
    for name in names:
        for rec in records:
            value, before = rec[name], stored[name][rec.id]
            if not _same_value(value, before):
                problems.append(
                    f"{records._name}({rec.id}).{name}: stored {before!r}, Odoo computes {value!r}"
                )
    return problems


def _same_value(value, before):
    if isinstance(value, float):
        return abs(value - before) < 0.005
    return value == before
