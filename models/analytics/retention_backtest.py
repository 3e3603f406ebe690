from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ...engine import backtest
from ...engine.health import FACTORS
from ..profile.res_partner import MONEY_GROUPS
from .retention_snapshot import month_start

#: Bounds of a back-test (one call reads months x customers snapshot rows).
MAX_MONTHS = 60
MAX_HORIZON = 24
#: The factors whose scores are ratios of revenue and debts (see res.partner MONEY_FACTORS).
MONEY_FACTORS = ("trend", "payment")
#: The customer-months of one back-test, kept for the few counts made of them (per session,
#: dropped at the end of the transaction).
WORK_TABLE = "retention_backtest_months"
#: Who may preview a calibration (the stage changes read every customer's factors) / apply it.
PREVIEW_GROUPS = "customer_retention.group_retention_manager,base.group_system"
APPLY_GROUP = "base.group_system"
#: Stages the at-risk rule can move a customer into or out of (prospect and churned come
#: first in the stage rules: weights never change them).
SCORED_STAGES = ("new", "active", "at_risk", "won_back")

#: The customer-months of one company examined by a back-test: the customer was active at the
#: end of the month and has a health score then; churned = a row of the churned stage within the
#: horizon after. Customers deleted since drop out (as in the reports). The churn months are read
#: once per customer and hash-joined (an EXISTS per customer-month would be a subplan per row:
#: 20 minutes at 100,000 customers instead of seconds).
CUSTOMER_MONTHS = """
    WITH churns AS (
        SELECT partner_id, array_agg(month) AS months
          FROM retention_snapshot
         WHERE company_id = %(company)s AND stage = 'churned'
           AND month > %(first)s
           AND month <= %(last)s + make_interval(months => %(horizon)s)
         GROUP BY partner_id
    )
    SELECT s.partner_id, s.month, s.health_score,
           s.recency_score, s.trend_score, s.payment_score,
           s.engagement_score, s.satisfaction_score, s.delivery_score,
           ch.months IS NOT NULL AND EXISTS (
               SELECT 1 FROM unnest(ch.months) AS churn(month)
                WHERE churn.month > s.month
                  AND churn.month <= s.month + make_interval(months => %(horizon)s)
           ) AS churned
      FROM retention_snapshot s
      JOIN res_partner p ON p.id = s.partner_id
      LEFT JOIN churns ch ON ch.partner_id = s.partner_id
     WHERE s.company_id = %(company)s
       AND s.month >= %(first)s AND s.month <= %(last)s
       AND s.is_active AND s.health_score IS NOT NULL
"""


def _percent(value):
    return "—" if value is None else format(100 * value, ".0f") + "%"


def _auc(value, digits=2):
    """An AUC for a sentence (formatted outside the translated call: the string extractor
    loses its way in f-strings with format specs)."""
    return "—" if value is None else format(value, f".{digits}f")


def _binned(column, width):
    """The SQL of engine.backtest.bin_score: round half up in integers (numeric division costs
    seconds over a million rows); never above 100 for the steps of CELL_WIDTHS (divisors of
    100), empty stays empty (no LEAST(): it would turn an empty score into 100)."""
    return SQL("((2 * %s + %s) / %s) * %s", SQL.identifier(column), width, 2 * width, width)


class RetentionBacktest(models.AbstractModel):
    """Does the health score predict churn? Counts the customer-months of the monthly
    snapshots set-wise in SQL (read once into a temporary table, then a handful of grouped
    queries whatever the size) and leaves the maths to engine.backtest. Also the data of the
    Score Check screen and the calibration of the weights (preview, apply)."""

    _name = "retention.backtest"
    _description = "Health score back-test"

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------
    @api.model
    def run(self, company_id, months=24, horizon=12):
        """Back-test of the health score of one company over the ``months`` most recent months
        whose ``horizon`` (in months) has fully passed. See docs/features.md, Score Check."""
        company = self._check_company(company_id)
        self._check_window(months, horizon)
        first, last = self._window(months, horizon)
        params = {"company": company.id, "first": first, "last": last, "horizon": horizon}
        self._read_customer_months(params)
        data_months = self._months_with_data()
        fit_months, holdout_months = backtest.split_months(data_months)
        holdout_from = holdout_months[0] if holdout_months else None
        health_rows, factor_rows = self._score_counts()
        fit_cells, holdout_cells, width = self._cells(holdout_from)
        holdout_customers = self._holdout_customers(holdout_from) if holdout_from else None
        customers, churned = backtest.totals(health_rows)
        result = {
            "company_id": company.id,
            "months": months,
            "horizon": horizon,
            "first_month": fields.Date.to_string(first),
            "last_month": fields.Date.to_string(last),
            "auc": backtest.score_auc(health_rows),
            "customers": customers,
            "churned": churned,
            "bands": backtest.bands(health_rows),
            "at_risk": backtest.threshold_quality(health_rows, company.retention_at_risk_threshold),
            "comparison": backtest.churn_ratio(health_rows),
            "factors": self._factor_results(factor_rows, customers),
        }
        result.update(self._calibration(company, fit_cells, holdout_cells, holdout_customers))
        result["calibration"].update(
            {
                "fit_months": [fields.Date.to_string(month) for month in fit_months],
                "holdout_months": [fields.Date.to_string(month) for month in holdout_months],
                "score_step": width,
            }
        )
        return result

    @api.model
    def preview_calibration(self, company_id, months=24, horizon=12):
        """The back-test, and how many customers would change stage today with the suggested
        weights (from the factor scores stored on the customers by their last refresh).
        Retention managers and administrators: the count reads every customer's factors."""
        self._check_group(
            PREVIEW_GROUPS,
            self.env._("Only Retention managers and administrators can preview new weights."),
        )
        result = self.run(company_id, months, horizon)
        company = self.env["res.company"].browse(result["company_id"])
        result["stage_changes"] = self._stage_changes(company, result["suggested_weights"])
        result["stage_changes_text"] = self._stage_changes_text(result)
        return result

    @api.model
    def apply_calibration(self, company_id, months=24, horizon=12):
        """Administrators: run the back-test again and write its suggested weights on the
        company (the weights in force before are kept as a weight set), then queue every
        customer of the company for a refresh. Returns the new weight set's id."""
        self._check_group(
            APPLY_GROUP, self.env._("Only administrators can apply new health score weights.")
        )
        result = self.run(company_id, months, horizon)
        if not result["calibration"]["changed"]:
            raise UserError(
                self.env._(
                    "The back-test suggests no better weights than the current ones: nothing "
                    "to apply."
                )
            )
        company = self.env["res.company"].browse(result["company_id"])
        WeightSet = self.env["retention.weight.set"]
        WeightSet._keep_current(company, result["calibration"]["current_holdout_auc"])
        weight_set = WeightSet._apply(
            company,
            result["suggested_weights"],
            auc=result["holdout_auc"],
            origin="applied",
            note=self.env._(
                "Suggested by Score Check: %(months)s months, horizon %(horizon)s months "
                "(%(first)s to %(last)s).",
                months=months,
                horizon=horizon,
                first=result["first_month"],
                last=result["last_month"],
            ),
        )
        return weight_set.id

    @api.model
    def action_open_customer_months(self, company_id, months, horizon, low, high, churned=False):
        """The snapshot rows behind a band of the Score Check: the customer-months of health
        ``low``..``high``, or only those that churned within the horizon."""
        company = self._check_company(company_id)
        self._check_window(months, horizon)
        self._check_band(low, high)
        first, last = self._window(months, horizon)
        domain = [
            ("company_id", "=", company.id),
            ("month", ">=", fields.Date.to_string(first)),
            ("month", "<=", fields.Date.to_string(last)),
            ("is_active", "=", True),
            # the ORM reads an empty integer as 0: customer-months without a score are out
            ("health_score", "!=", False),
            ("health_score", ">=", low),
            ("health_score", "<=", high),
        ]
        name = self.env._("Customer-months with health %(low)s-%(high)s", low=low, high=high)
        if churned:
            params = {"company": company.id, "first": first, "last": last, "horizon": horizon}
            self.env.cr.execute(
                SQL(
                    "SELECT s.id FROM retention_snapshot s JOIN (%s) cm "
                    "ON cm.partner_id = s.partner_id AND cm.month = s.month "
                    "WHERE s.company_id = %s AND cm.churned "
                    "AND cm.health_score BETWEEN %s AND %s",
                    SQL(CUSTOMER_MONTHS, **params),
                    company.id,
                    low,
                    high,
                )
            )
            domain = [("id", "in", [row[0] for row in self.env.cr.fetchall()])]
            name = self.env._(
                "Customer-months with health %(low)s-%(high)s that churned within %(horizon)s "
                "months",
                low=low,
                high=high,
                horizon=horizon,
            )
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "retention.snapshot",
            "views": [(False, "list"), (False, "pivot")],
            "domain": domain,
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    @api.model
    def _check_company(self, company_id):
        """Rights first: Retention users, in one of their companies."""
        self.env["retention.snapshot"].check_access("read")
        valid = isinstance(company_id, int) and not isinstance(company_id, bool)
        company = self.env["res.company"].browse(company_id).exists() if valid else None
        if not company or (not self.env.su and company not in self.env.user.company_ids):
            raise AccessError(
                self.env._("You do not work in the company asked for: pick one of yours.")
            )
        return company

    @api.model
    def _check_group(self, groups, message):
        if not self.env.su and not self.env.user.has_groups(groups):
            raise AccessError(message)

    @api.model
    def _check_window(self, months, horizon):
        for value, top, label in (
            (months, MAX_MONTHS, self.env._("months")),
            (horizon, MAX_HORIZON, self.env._("horizon")),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
                raise UserError(
                    self.env._(
                        "The back-test %(setting)s must be a whole number of months between 1 "
                        "and %(max)s, not %(value)s.",
                        setting=label,
                        max=top,
                        value=value,
                    )
                )

    @api.model
    def _check_band(self, low, high):
        scores = (low, high)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in scores) or not (
            0 <= low <= high <= 100
        ):
            raise UserError(
                self.env._("A health band goes from a low to a high score within 0-100.")
            )

    @api.model
    def _window(self, months, horizon):
        """First and last month examined: the ``months`` latest months whose horizon has fully
        passed (month + horizon <= the last complete month)."""
        last_complete = month_start(fields.Date.context_today(self)) - relativedelta(months=1)
        last = last_complete - relativedelta(months=horizon)
        return last - relativedelta(months=months - 1), last

    # ------------------------------------------------------------------
    # Counting (SQL)
    # ------------------------------------------------------------------
    @api.model
    def _read_customer_months(self, params):
        """The customer-months examined, into the work table (one read of the snapshots)."""
        self.env["retention.snapshot"].flush_model()
        # one big statement: no JIT compilation (its cost estimate is huge, its gain nil)
        self.env.cr.execute("SET LOCAL jit = off")
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(WORK_TABLE)))
        self.env.cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s",
                SQL.identifier(WORK_TABLE),
                SQL(CUSTOMER_MONTHS, **params),
            )
        )

    @api.model
    def _months_with_data(self):
        self.env.cr.execute(
            SQL("SELECT DISTINCT month FROM %s ORDER BY month", SQL.identifier(WORK_TABLE))
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _score_counts(self):
        """Customer-months and churned per health score and per score of each factor (one
        scan, GROUPING SETS). Returns (health rows, {factor: rows})."""
        columns = [f"{name}_score" for name in FACTORS]
        sets = [SQL("(health_score, churned)")]
        sets += [SQL("(%s, churned)", SQL.identifier(column)) for column in columns]
        self.env.cr.execute(
            SQL(
                """
                SELECT GROUPING(health_score), %(groupings)s, health_score, %(columns)s,
                       churned, COUNT(*)
                  FROM %(table)s
                 GROUP BY GROUPING SETS (%(sets)s)
                """,
                table=SQL.identifier(WORK_TABLE),
                groupings=SQL(", ").join(
                    SQL("GROUPING(%s)", SQL.identifier(column)) for column in columns
                ),
                columns=SQL(", ").join(SQL.identifier(column) for column in columns),
                sets=SQL(", ").join(sets),
            )
        )
        count = len(FACTORS)
        health_rows, factor_rows = [], {name: [] for name in FACTORS}
        for row in self.env.cr.fetchall():
            groupings, scores = row[: count + 1], row[count + 2 : 2 * count + 2]
            churned, customers = row[-2], row[-1]
            outcome = (customers, customers if churned else 0)
            if not groupings[0]:
                health_rows.append((row[count + 1], *outcome))
            else:
                index = groupings.index(0) - 1
                factor_rows[FACTORS[index]].append((scores[index], *outcome))
        return health_rows, factor_rows

    @api.model
    def _cells(self, holdout_from):
        """The calibration cells: customer-months per factor scores rounded to the finest step
        of backtest.CELL_WIDTHS that gives at most backtest.MAX_CELLS cells (the cost of the
        search grows with them; the coarsest step is used in any case), split into fitting and
        holdout months. Tried from the coarsest step: on a large history the fine steps that
        cannot fit are never counted. Returns (fit cells, holdout cells, step)."""
        rows = width = None
        for step in reversed(backtest.CELL_WIDTHS):
            found = self._count_cells(holdout_from, step)
            if rows is not None and len(found) > backtest.MAX_CELLS:
                break
            rows, width = found, step
        fit_cells, holdout_cells = [], []
        for holdout, *scores, customers, churned in rows:
            cell = backtest.Cell(tuple(scores), customers, churned)
            (holdout_cells if holdout else fit_cells).append(cell)
        return fit_cells, holdout_cells, width

    @api.model
    def _count_cells(self, holdout_from, width):
        """(holdout, six binned scores, customer-months, churned) rows, at most MAX_CELLS + 1."""
        columns = [f"{name}_score" for name in FACTORS]
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(month >= %(holdout_from)s, FALSE), %(bins)s,
                       COUNT(*), COUNT(*) FILTER (WHERE churned)
                  FROM %(table)s
                 GROUP BY 1, %(groups)s
                 LIMIT %(limit)s
                """,
                holdout_from=holdout_from,
                table=SQL.identifier(WORK_TABLE),
                bins=SQL(", ").join(_binned(column, width) for column in columns),
                groups=SQL(", ").join(SQL(str(index + 2)) for index in range(len(columns))),
                limit=backtest.MAX_CELLS + 1,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _holdout_customers(self, holdout_from):
        """(churned, kept) distinct customers of the holdout months: the standard error of the
        calibration guard counts customers, not their months."""
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(DISTINCT partner_id) FILTER (WHERE churned), "
                "COUNT(DISTINCT partner_id) FILTER (WHERE NOT churned) FROM %s "
                "WHERE month >= %s",
                SQL.identifier(WORK_TABLE),
                holdout_from,
            )
        )
        return self.env.cr.fetchone()

    # ------------------------------------------------------------------
    # Results
    # ------------------------------------------------------------------
    @api.model
    def _money_visible(self):
        return self.env.su or self.env.user.has_groups(MONEY_GROUPS)

    @api.model
    def _factor_results(self, factor_rows, customers):
        """Each factor alone; the revenue trend and payment factors are hidden from users
        without invoicing rights, as on the customer (their scores are ratios of revenue and
        debts)."""
        money = self._money_visible()
        results = {}
        for name in FACTORS:
            if name in MONEY_FACTORS and not money:
                results[name] = {"auc": None, "coverage": None, "customers": None, "hidden": True}
            else:
                results[name] = dict(
                    backtest.factor_summary(factor_rows[name], customers), hidden=False
                )
        return results

    @api.model
    def _calibration(self, company, fit_cells, holdout_cells, holdout_customers):
        current = company._retention_weights()
        found = backtest.calibrate(fit_cells, holdout_cells, current, holdout_customers)
        holdout_auc = found.fitted_holdout_auc if found.changed else found.current_holdout_auc
        return {
            "current_weights": current,
            "suggested_weights": found.weights,
            "suggested_auc": backtest.weighted_auc(fit_cells + holdout_cells, found.weights),
            "holdout_auc": holdout_auc,
            "calibration": {
                "changed": found.changed,
                "reason": found.reason,
                "fit_auc": found.fit_auc,
                "fitted_auc": found.fitted_auc,
                "fitted_weights": found.fitted_weights,
                "fitted_holdout_auc": found.fitted_holdout_auc,
                "current_holdout_auc": found.current_holdout_auc,
                "required_gain": found.required_gain,
            },
        }

    @api.model
    def _stage_changes(self, company, weights):
        """How many customers of the company would enter or leave the at-risk stage with these
        weights: their factor scores as stored by the last refresh, counted per combination
        in SQL, recombined with engine.backtest.health_of (the engine's own arithmetic)."""
        key = str(company.id)
        factors = SQL("(p.retention_health_factors ->> %s)::jsonb", key)
        self.env["res.partner"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.retention_stage ->> %(key)s = 'at_risk', %(scores)s, COUNT(*)
                  FROM res_partner p
                 WHERE p.id = p.commercial_partner_id AND p.active
                   AND p.retention_stage ->> %(key)s IN %(stages)s
                   AND p.retention_health_factors ->> %(key)s IS NOT NULL
                 GROUP BY 1, %(groups)s
                """,
                key=key,
                stages=SCORED_STAGES,
                scores=SQL(", ").join(
                    SQL("(%s #>> %s)::numeric::int", factors, [name, "score"]) for name in FACTORS
                ),
                groups=SQL(", ").join(SQL(str(index + 2)) for index in range(len(FACTORS))),
            )
        )
        threshold = company.retention_at_risk_threshold
        into = out = customers = 0
        for row in self.env.cr.fetchall():
            at_risk, scores, count = row[0], row[1:-1], row[-1]
            health = backtest.health_of(scores, weights)
            will_be = health is not None and health < threshold
            customers += count
            if will_be and not at_risk:
                into += count
            elif at_risk and not will_be:
                out += count
        return {
            "customers": customers,
            "into_at_risk": into,
            "out_of_at_risk": out,
            "total": into + out,
        }

    # ------------------------------------------------------------------
    # The Score Check screen
    # ------------------------------------------------------------------
    @api.model
    def get_score_check_data(self, company_id=None, months=24, horizon=12):
        """Everything the Score Check shows (client action customer_retention.score_check)."""
        company = self._check_company(company_id or self.env.company.id)
        result = self.run(company.id, months, horizon)
        labels = self.env["res.partner"]._retention_factor_labels()
        user = self.env.user
        result.update(
            {
                "first_month_label": self._month_label(result["first_month"]),
                "last_month_label": self._month_label(result["last_month"]),
                "verdict": self._verdict(result),
                "summary_text": self._summary_text(result),
                "at_risk_text": self._at_risk_text(result),
                "split_text": self.env._(
                    "The weights are fitted on the older months checked (%(fit)s) and measured "
                    "on the newer ones they did not see (%(holdout)s): a suggestion that only "
                    "fits noise shows no gain there and is not made.",
                    fit=len(result["calibration"]["fit_months"]),
                    holdout=len(result["calibration"]["holdout_months"]),
                ),
                "factor_labels": {name: labels[name][0] for name in FACTORS},
                "factor_order": list(FACTORS),
                "money": self._money_visible(),
                "can_preview": self.env.su or user.has_groups(PREVIEW_GROUPS),
                "can_apply": self.env.su or user.has_groups(APPLY_GROUP),
                "calibration_text": self._calibration_text(result),
                "weight_sets": self.env["retention.weight.set"]._history(company),
                "companies": [{"id": c.id, "name": c.name} for c in user.company_ids],
            }
        )
        return result

    @api.model
    def _summary_text(self, result):
        return self.env._(
            "%(count)s customer-months checked (%(first)s to %(last)s), %(churned)s of them "
            "churned within %(horizon)s months. A customer-month is a customer active at the "
            "end of a month, with its health score of that month.",
            count=result["customers"],
            first=self._month_label(result["first_month"]),
            last=self._month_label(result["last_month"]),
            churned=result["churned"],
            horizon=result["horizon"],
        )

    @api.model
    def _at_risk_text(self, result):
        at_risk = result["at_risk"]
        return self.env._(
            "At-risk threshold %(threshold)s: %(precision)s of the customer-months below it "
            "churned (precision), and %(recall)s of the churned ones were below it (recall).",
            threshold=at_risk["threshold"],
            precision=_percent(at_risk["precision"]),
            recall=_percent(at_risk["recall"]),
        )

    @api.model
    def _stage_changes_text(self, result):
        changes = result["stage_changes"]
        return self.env._(
            "With the suggested weights, %(total)s of %(customers)s customers would change "
            "stage today (%(into)s into At Risk, %(out)s out of it); AUC on the newer months "
            "%(before)s → %(after)s.",
            total=changes["total"],
            customers=changes["customers"],
            into=changes["into_at_risk"],
            out=changes["out_of_at_risk"],
            before=_auc(result["calibration"]["current_holdout_auc"]),
            after=_auc(result["holdout_auc"]),
        )

    @api.model
    def _month_label(self, month):
        return format_date(self.env, month, date_format="MMM yyyy")

    @api.model
    def _verdict(self, result):
        """The Score Check in one sentence, honest when there is nothing to say yet."""
        _ = self.env._
        if not result["customers"]:
            return _(
                "Nothing to check yet: no customer-month from %(first)s to %(last)s has a "
                "stored health score (the score is checked once %(horizon)s months have "
                "passed after a month).",
                first=self._month_label(result["first_month"]),
                last=self._month_label(result["last_month"]),
                horizon=result["horizon"],
            )
        if not result["churned"]:
            return _(
                "None of the %(count)s customer-months checked churned within %(horizon)s "
                "months: the score cannot be checked against churn yet.",
                count=result["customers"],
                horizon=result["horizon"],
            )
        comparison = result["comparison"]
        low, high = comparison["low_rate"], comparison["high_rate"]
        values = {
            "low_below": comparison["low_below"],
            "high_from": comparison["high_from"],
            "horizon": result["horizon"],
            "low": _percent(low),
            "high": _percent(high),
        }
        if low is None or high is None:
            return _(
                "Too few customer-months at one end of the score to compare those below "
                "%(low_below)s with those at %(high_from)s or more: see the bands below.",
                **values,
            )
        if not high and low:
            return _(
                "%(low)s of the customers scoring below %(low_below)s churned within "
                "%(horizon)s months, and none of those scoring %(high_from)s or more.",
                **values,
            )
        if comparison["ratio"] is not None and comparison["ratio"] > 1:
            return _(
                "Customers scoring below %(low_below)s churned %(ratio)s times as often as "
                "those scoring %(high_from)s or more (%(low)s against %(high)s within "
                "%(horizon)s months).",
                ratio=_auc(comparison["ratio"], 1),
                **values,
            )
        return _(
            "Customers scoring below %(low_below)s churned no more often than those scoring "
            "%(high_from)s or more (%(low)s against %(high)s within %(horizon)s months): the "
            "score does not predict churn here.",
            **values,
        )

    @api.model
    def _calibration_text(self, result):
        _ = self.env._
        calibration = result["calibration"]
        reason = calibration["reason"]
        if reason == "better":
            return _(
                "Weights fitted on the older months rank the churners of the newer months "
                "better: AUC %(before)s with the current weights, %(after)s with the "
                "suggested ones.",
                before=_auc(calibration["current_holdout_auc"], 3),
                after=_auc(result["holdout_auc"], 3),
            )
        if reason == "not_enough_churn":
            return _(
                "Not enough history to calibrate: the older and the newer months each need at "
                "least %(count)s customer-months that churned and as many that did not. The "
                "current weights are kept.",
                count=backtest.MIN_CHURNED,
            )
        if reason == "no_better_fit":
            return _("No other weights rank the churners better: the current weights are kept.")
        fitted = calibration["fitted_holdout_auc"]
        current = calibration["current_holdout_auc"]
        return _(
            "Weights fitted on the older months do not rank the newer months clearly better "
            "(AUC %(after)s against %(before)s; a gain of %(gain)s is needed to tell it from "
            "chance): the current weights are kept.",
            after=_auc(fitted, 3),
            before=_auc(current, 3),
            gain=_auc(calibration["required_gain"], 3),
        )
