"""What the health history adds to the builder: the facts of a batch of customers read as of
several past days at once, and the engine run on them (issue #18).

The facts of the live score are read by models/profile/retention_profile_builder.py; here the
same facts are read as they stood at the end of each day given: only what was dated on or
before it counts (see the README, "Health as of a past month"). Each source is read once for
all the days (one statement per source and batch, the days joined in SQL), so that 24 month
ends cost about one read of the batch, not 24."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ...engine.health import FACTORS, ProjectFacts, evaluate

#: A first day at most this old is "recent": the reconciliations dated after it are few, and
#: read by their date (see _paid_after_sql).
RECENT_PAYMENT_DAYS = 62


def _empty_facts():
    return {
        "invoices": {},
        "contacts": {},
        "projects": defaultdict(lambda: {"open": [], "done": 0}),
        "satisfaction": {},
    }


class RetentionProfileBuilder(models.AbstractModel):
    _inherit = "retention.profile.builder"

    # ------------------------------------------------------------------
    # The engine as of past days
    # ------------------------------------------------------------------
    @api.model
    def _evaluations_as_of(self, company, partner_ids, day):
        """``{partner_id: (facts, evaluation)}`` of these customers in ``company`` as of the
        end of ``day``, for those with an invoice by then (see _evaluations_as_of_days)."""
        return {
            partner_id: (facts, result)
            for partner_id, _day, facts, result in self._evaluations_as_of_days(
                company, partner_ids, [day]
            )
        }

    @api.model
    def _evaluations_as_of_days(self, company, partner_ids, days, wanted=None):
        """``(partner_id, day, facts, evaluation)`` of these customers in ``company`` as of the
        end of each of ``days``: the engine of the live score (evaluate) on the facts read as
        of that day (_gather_facts_as_of), for the customers with an invoice by then.
        ``wanted`` ({partner_id: set of days}) limits the pairs evaluated. The snapshots'
        health history and the customer's "why it moved" both read it."""
        self.env.flush_all()
        self.env.cr.execute("SET LOCAL jit = off")  # see _compute_partners
        # a batch's invoices times its days are sorted and hashed in memory, not on disk
        self.env.cr.execute("SET LOCAL work_mem = '64MB'")
        by_day = self._gather_facts_as_of(partner_ids, days)
        current = self._read_current_values(partner_ids, company)
        weights = company._retention_weights()
        rules = company._retention_stage_rules()
        results = []
        for day in sorted(set(days)):
            facts = by_day[day]
            for partner_id in partner_ids:
                if wanted is not None and day not in wanted.get(partner_id, ()):
                    continue
                lost = current[(company.id, partner_id)]["lost_date"]
                customer, _invoice, _done = self._customer_facts(
                    company.id, partner_id, facts, lost_date=lost if lost and lost <= day else None
                )
                if customer.last_invoice_date:
                    results.append(
                        (partner_id, day, customer, evaluate(customer, weights, rules, day))
                    )
        return results

    @api.model
    def _evaluate_as_of(self, company, partner_ids, day):
        """The health, stage and factor scores of these customers in ``company`` as of the
        end of ``day``: one dict per customer with an invoice by then (the snapshot's health
        columns, see _health_rows)."""
        return [
            {key: value for key, value in row.items() if key != "month"}
            for row in self._health_rows(company, partner_ids, [day])
        ]

    @api.model
    def _health_rows(self, company, partner_ids, days, wanted=None):
        """The snapshot's health columns of each evaluation (_evaluations_as_of_days): one
        dict per customer and day, with ``partner_id``, ``month`` (the day's month),
        ``health_score``, ``stage`` and one ``<factor>_score`` per factor (None without
        data)."""
        rows = []
        for partner_id, day, _facts, result in self._evaluations_as_of_days(
            company, partner_ids, days, wanted=wanted
        ):
            row = {
                "partner_id": partner_id,
                "month": day.replace(day=1).isoformat(),
                "health_score": result.health,
                "stage": result.stage,
            }
            row.update({f"{name}_score": None for name in FACTORS})
            for factor in result.factors:
                if factor.score is not None:
                    row[f"{factor.name}_score"] = round(factor.score)
            rows.append(row)
        return rows

    # ------------------------------------------------------------------
    # The facts as of past days
    # ------------------------------------------------------------------
    @api.model
    def _gather_facts_as_of(self, partner_ids, days):
        """``{day: facts}``: what _gather_facts gives for today, as it stood at the end of
        each day of ``days``, keyed the same way."""
        days = sorted(set(days))
        by_day = {day: _empty_facts() for day in days}
        partner_ids = list(partner_ids)
        for day, key, values in self._invoice_facts_as_of(partner_ids, days):
            by_day[day]["invoices"][key] = values
        for day, key, latest in self._last_contact_dates_as_of(partner_ids, days):
            by_day[day]["contacts"][key] = latest
        for day, key, closed, project in self._project_facts_as_of(partner_ids, days):
            entry = by_day[day]["projects"][key]
            if closed:
                entry["done"] += 1
            else:
                entry["open"].append(project)
        for day, partner_id, score in self._latest_satisfaction_as_of(partner_ids, days):
            by_day[day]["satisfaction"][partner_id] = score
        return by_day

    @api.model
    def _days_sql(self, days):
        """The days as a relation ``d(day)`` to join the facts with."""
        return SQL("(SELECT unnest(%s::date[]) AS day) d", list(days))

    @api.model
    def _invoice_facts_as_of(self, partner_ids, days):
        """``(day, (company_id, partner_id), invoice facts)`` as _invoice_facts gives them,
        from the invoices and credit notes dated on or before each day. Overdue on a day =
        due before it and not paid by it: the residual of today plus what was reconciled with
        the invoice after that day (account.partial.reconcile.max_date, the later of the
        invoice's and the payment's dates)."""
        moves = self.env["account.move"]._retention_customer_moves(
            partners=partner_ids, before=max(days) + timedelta(days=1)
        )
        self.env.cr.execute(
            SQL(
                """
                WITH cm AS MATERIALIZED (
                    SELECT m.*,
                           -- the first invoice of its date: counts the distinct dates
                           m.move_type = 'out_invoice' AND m.invoice_date IS DISTINCT FROM
                               LAG(m.invoice_date) OVER (
                                   PARTITION BY m.company_id, m.partner_id, m.move_type
                                   ORDER BY m.invoice_date) AS new_date
                      FROM %(moves)s m
                ),
                paid AS (%(paid)s),
                later AS (
                    -- paid after the day: still owed on it (invoices due before the day)
                    SELECT cm.id, d.day, SUM(paid.amount) AS amount
                      FROM paid
                      JOIN cm ON cm.id = paid.move_id
                      JOIN %(days)s ON paid.max_date > d.day AND cm.invoice_date <= d.day
                           AND cm.invoice_date_due < d.day
                     GROUP BY 1, 2
                ),
                owed AS (
                    SELECT d.day, cm.*,
                           (d.day - interval '12 months')::date AS start_12m,
                           (d.day - interval '24 months')::date AS start_24m,
                           cm.move_type = 'out_invoice' AND cm.invoice_date_due < d.day
                               AND cm.residual + COALESCE(later.amount, 0) > 0.005 AS overdue,
                           cm.residual + COALESCE(later.amount, 0) AS residual_then
                      FROM cm
                      JOIN %(days)s ON cm.invoice_date <= d.day
                      LEFT JOIN later ON later.id = cm.id AND later.day = d.day
                )
                SELECT day, company_id, partner_id,
                       MAX(invoice_date) FILTER (WHERE is_first_invoice),
                       MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
                       COUNT(*) FILTER (WHERE new_date),
                       COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
                       COUNT(*) FILTER (WHERE move_type = 'out_invoice'
                                          AND invoice_date > start_12m),
                       COUNT(*) FILTER (WHERE move_type = 'out_refund'
                                          AND invoice_date > start_12m),
                       COALESCE(SUM(amount), 0),
                       COALESCE(SUM(amount) FILTER (WHERE invoice_date > start_12m), 0),
                       COALESCE(SUM(amount) FILTER (WHERE invoice_date > start_24m
                                                      AND invoice_date <= start_12m), 0),
                       COALESCE(SUM(amount) FILTER (WHERE invoice_date > first_invoice_date), 0),
                       COALESCE(SUM(residual_then) FILTER (WHERE overdue), 0),
                       COALESCE(MAX(day - invoice_date_due) FILTER (WHERE overdue), 0),
                       MAX(invoice_date) FILTER (WHERE is_winback)
                  FROM owed
                 GROUP BY day, company_id, partner_id
                """,
                moves=moves,
                days=self._days_sql(days),
                paid=self._paid_after_sql(min(days)),
            )
        )
        keys = self._invoice_fact_keys()
        for row in self.env.cr.fetchall():
            yield row[0], (row[1], row[2]), dict(zip(keys, row[3:], strict=True))

    @api.model
    def _paid_after_sql(self, first_day):
        """What was reconciled with the batch's invoices (``cm``) after ``first_day``, per
        invoice and reconciliation date (``move_id``, ``max_date``, ``amount``). The result
        is the same either way; the way is chosen for speed: after a recent day (the month
        that just closed, on the daily job), the few reconciliations dated since, found by
        their date (account_partial_reconcile_retention_max_date_idx); after an older one (a
        history of months), each invoice's own reconciliations."""
        recent = fields.Date.context_today(self) - timedelta(days=RECENT_PAYMENT_DAYS)
        if first_day >= recent:
            return SQL(
                """
                WITH since AS MATERIALIZED (
                    -- first the few reconciliations, then their invoices' lines by id
                    SELECT aml.move_id, apr.max_date, apr.amount
                      FROM account_partial_reconcile apr
                      JOIN account_move_line aml ON aml.id = apr.debit_move_id
                     WHERE apr.max_date > %(day)s AND aml.display_type = 'payment_term'
                )
                SELECT move_id, max_date, SUM(amount) AS amount
                  FROM since
                 WHERE move_id IN (SELECT id FROM cm WHERE move_type = 'out_invoice')
                 GROUP BY 1, 2
                """,
                day=first_day,
            )
        return SQL(
            """
            SELECT aml.move_id, apr.max_date, SUM(apr.amount) AS amount
              FROM account_move_line aml
              JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
             WHERE aml.move_id IN (SELECT id FROM cm WHERE move_type = 'out_invoice')
               AND aml.display_type = 'payment_term' AND apr.max_date > %(day)s
             GROUP BY 1, 2
            """,
            day=first_day,
        )

    @api.model
    def _last_contact_dates_as_of(self, partner_ids, days):
        """``(day, (company_id or None, partner_id), latest contact day)`` as
        _last_contact_dates gives them, from the exchanges dated on or before each day. Each
        record's contacts are read once, grouped by the first of the days they count for
        (width_bucket over the days' ends), then carried to the later days."""
        ends = [day + timedelta(days=1) for day in days]
        real = SQL("%s AND msg.date < %s", self._real_exchange_condition(), ends[-1])
        bucket = SQL("width_bucket(msg.date, %s::timestamp[])", ends)
        self.env.cr.execute(
            SQL(
                """
                WITH pa AS (
                    SELECT id, commercial_partner_id FROM res_partner
                     WHERE commercial_partner_id = ANY(%(partners)s)
                )
                SELECT NULL::int, pa.commercial_partner_id, last.bucket, MAX(last.day)
                  FROM pa
                 CROSS JOIN LATERAL (
                        SELECT %(bucket)s AS bucket, MAX(msg.date)::date AS day
                          FROM mail_message msg
                         WHERE msg.model = 'res.partner' AND msg.res_id = pa.id AND %(real)s
                         GROUP BY 1
                        UNION ALL
                        SELECT %(bucket)s, MAX(msg.date)::date
                          FROM mail_message msg
                         WHERE msg.author_id = pa.id AND %(real)s
                         GROUP BY 1
                 ) last
                 GROUP BY 2, 3
                UNION ALL
                SELECT pr.company_id, pa.commercial_partner_id, last.bucket, MAX(last.day)
                  FROM project_project pr
                  JOIN pa ON pa.id = pr.partner_id
                 CROSS JOIN LATERAL (
                        SELECT %(bucket)s AS bucket, MAX(msg.date)::date AS day
                          FROM mail_message msg
                         WHERE msg.model = 'project.project' AND msg.res_id = pr.id AND %(real)s
                         GROUP BY 1
                 ) last
                 GROUP BY 1, 2, 3
                UNION ALL
                SELECT am.company_id, am.commercial_partner_id, last.bucket, MAX(last.day)
                  FROM account_move am
                 CROSS JOIN LATERAL (
                        SELECT %(bucket)s AS bucket, MAX(msg.date)::date AS day
                          FROM mail_message msg
                         WHERE msg.model = 'account.move' AND msg.res_id = am.id AND %(real)s
                         GROUP BY 1
                 ) last
                 WHERE am.commercial_partner_id = ANY(%(partners)s)
                   AND am.move_type IN ('out_invoice', 'out_refund')
                 GROUP BY 1, 2, 3
                """,
                partners=partner_ids,
                real=real,
                bucket=bucket,
            )
        )
        # bucket b: dated before the end of days[b] (and not before the end of days[b - 1])
        firsts = defaultdict(dict)
        for company_id, partner_id, first, day in self.env.cr.fetchall():
            key = (company_id, partner_id)
            if day and (first not in firsts[key] or day > firsts[key][first]):
                firsts[key][first] = day
        for key, by_first in firsts.items():
            latest = None
            for index, day in enumerate(days):
                if index in by_first and (latest is None or by_first[index] > latest):
                    latest = by_first[index]
                if latest:
                    yield day, key, latest

    @api.model
    def _project_facts_as_of(self, partner_ids, days):
        """``(day, (company_id, partner_id), closed, ProjectFacts)`` of the customers'
        projects as they stood at the end of each day: projects created by then, closed if
        closed by then (retention_date_closed; Odoo keeps no date for a reopening: a project
        open now counts open since its creation), the latest status update dated by then,
        tasks created by then and not closed by then (a closed task's closing day is its last
        stage change, the nearest date Odoo keeps), overdue when their deadline was before
        that day. Projects without company count in every company (None)."""
        self.env.cr.execute(
            SQL(
                """
                WITH pr AS MATERIALIZED (
                    SELECT pr.id, pr.company_id, pa.commercial_partner_id, pr.create_date,
                           CASE WHEN pr.retention_is_closed
                                THEN COALESCE(pr.retention_date_closed, pr.write_date::date)
                           END AS closed_on
                      FROM project_project pr
                      JOIN res_partner pa ON pa.id = pr.partner_id
                     WHERE pa.commercial_partner_id = ANY(%(partners)s)
                       AND (pr.active OR pr.retention_is_closed)
                       AND pr.create_date < %(end)s
                ),
                days AS (SELECT d.day FROM %(days)s),
                updates AS (
                    SELECT DISTINCT ON (u.project_id, days.day) u.project_id, days.day,
                           u.status, u.date
                      FROM project_update u
                      JOIN days ON u.date <= days.day
                     WHERE u.project_id IN (SELECT id FROM pr)
                     ORDER BY u.project_id, days.day, u.date DESC, u.id DESC
                ),
                tasks AS (
                    SELECT t.project_id, days.day, COUNT(*) AS open_count,
                           COUNT(*) FILTER (WHERE t.date_deadline < days.day) AS overdue_count
                      FROM project_task t
                      JOIN days ON t.create_date < days.day + 1
                           AND (t.state NOT IN ('1_done', '1_canceled')
                                OR COALESCE(t.date_last_stage_update, t.write_date)
                                   >= days.day + 1)
                     WHERE t.project_id IN (SELECT id FROM pr) AND t.active
                     GROUP BY 1, 2
                )
                SELECT days.day, pr.company_id, pr.commercial_partner_id,
                       COALESCE(pr.closed_on <= days.day, FALSE), updates.status, updates.date,
                       COALESCE(tasks.open_count, 0), COALESCE(tasks.overdue_count, 0)
                  FROM pr
                  JOIN days ON pr.create_date < days.day + 1
                  LEFT JOIN updates ON updates.project_id = pr.id AND updates.day = days.day
                  LEFT JOIN tasks ON tasks.project_id = pr.id AND tasks.day = days.day
                """,
                partners=partner_ids,
                end=max(days) + timedelta(days=1),
                days=self._days_sql(days),
            )
        )
        for (
            day,
            company_id,
            partner_id,
            closed,
            status,
            updated,
            open_tasks,
            overdue,
        ) in self.env.cr.fetchall():
            yield (
                day,
                (company_id, partner_id),
                closed,
                ProjectFacts(
                    status=status if status and status != "to_define" else None,
                    days_since_update=(day - updated).days if updated else None,
                    open_task_count=open_tasks,
                    overdue_task_count=overdue,
                ),
            )

    @api.model
    def _latest_satisfaction_as_of(self, partner_ids, days):
        """``(day, partner_id, satisfaction)``: the newest answer of the satisfaction sources
        given on or before each day (a rating by the day it was given, its last change)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (fb.partner_id, d.day) d.day, fb.partner_id, fb.score
                  FROM (%(sources)s) AS fb(partner_id, score, day)
                  JOIN %(days)s ON fb.day < d.day + 1
                 ORDER BY fb.partner_id, d.day, fb.day DESC
                """,
                sources=SQL(" UNION ALL ").join(self._satisfaction_sources(partner_ids)),
                days=self._days_sql(days),
            )
        )
        yield from self.env.cr.fetchall()
