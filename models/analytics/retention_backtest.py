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
#: Calibration cells are counted with factor scores rounded to this many points.
CELL_WIDTH = 10
#: Who may preview a calibration (the stage changes read every customer's factors) / apply it.
PREVIEW_GROUPS = "customer_retention.group_retention_manager,base.group_system"
APPLY_GROUP = "base.group_system"
#: Stages the at-risk rule can move a customer into or out of (prospect and churned come
#: first in the stage rules: weights never change them).
SCORED_STAGES = ("new", "active", "at_risk", "won_back")

#: The customer-months of one company examined by a back-test: the customer was active at the
#: end of the month and has a health score then; churned = a row of the churned stage within the
#: horizon after. Customers deleted since drop out (as in the reports).
CUSTOMER_MONTHS = """
    SELECT s.partner_id, s.month, s.health_score,
           s.recency_score, s.trend_score, s.payment_score,
           s.engagement_score, s.satisfaction_score, s.delivery_score,
           COALESCE(s.month >= %(holdout_from)s, FALSE) AS holdout,
           EXISTS (
               SELECT 1 FROM retention_snapshot c
                WHERE c.company_id = s.company_id AND c.partner_id = s.partner_id
                  AND c.stage = 'churned'
                  AND c.month > s.month
                  AND c.month <= s.month + make_interval(months => %(horizon)s)
           ) AS churned
      FROM retention_snapshot s
      JOIN res_partner p ON p.id = s.partner_id
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


def _binned(column):
    return SQL(
        "(ROUND(%s / %s::numeric) * %s)::int", SQL.identifier(column), CELL_WIDTH, CELL_WIDTH
    )


class RetentionBacktest(models.AbstractModel):
    """Does the health score predict churn? Counts the customer-months of the monthly
    snapshots set-wise in SQL (three queries whatever the size) and leaves the maths to
    engine.backtest. Also the data of the Score Check screen and the calibration of the
    weights (preview, apply)."""

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
        params = {
            "company": company.id,
            "first": first,
            "last": last,
            "horizon": horizon,
            "holdout_from": None,
        }
        data_months = self._months_with_data(params)
        fit_months, holdout_months = backtest.split_months(data_months)
        params["holdout_from"] = holdout_months[0] if holdout_months else None
        health_rows, factor_rows, fit_cells, holdout_cells = self._counts(params)
        holdout_customers = self._holdout_customers(params) if holdout_months else None
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
        result.update(
            self._calibration(
                company, fit_cells, holdout_cells, holdout_customers, fit_months, holdout_months
            )
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
            params = {
                "company": company.id,
                "first": first,
                "last": last,
                "horizon": horizon,
                "holdout_from": None,
            }
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
    def _months_with_data(self, params):
        self.env["retention.snapshot"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT s.month FROM retention_snapshot s
                  JOIN res_partner p ON p.id = s.partner_id
                 WHERE s.company_id = %(company)s
                   AND s.month >= %(first)s AND s.month <= %(last)s
                   AND s.is_active AND s.health_score IS NOT NULL
                 GROUP BY s.month
                """,
                **params,
            )
        )
        return sorted(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _counts(self, params):
        """One scan of the customer-months, counted per health score, per score of each factor
        and per cell of binned factor scores (fitting or holdout months), each with its
        outcome. Returns (health rows, {factor: rows}, fit cells, holdout cells)."""
        columns = [f"{name}_score" for name in FACTORS]
        sets = [SQL("(health_score, churned)")]
        sets += [SQL("(%s, churned)", SQL.identifier(column)) for column in columns]
        sets.append(
            SQL(
                "(holdout, %s, churned)",
                SQL(", ").join(SQL.identifier(f"bin_{column}") for column in columns),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                WITH counted AS (%(customer_months)s),
                binned AS (SELECT *, %(bins)s FROM counted)
                SELECT GROUPING(health_score), %(groupings)s, GROUPING(holdout),
                       health_score, %(columns)s, holdout, %(bin_columns)s,
                       churned, COUNT(*)
                  FROM binned
                 GROUP BY GROUPING SETS (%(sets)s)
                """,
                customer_months=SQL(CUSTOMER_MONTHS, **params),
                bins=SQL(", ").join(
                    SQL("%s AS %s", _binned(column), SQL.identifier(f"bin_{column}"))
                    for column in columns
                ),
                groupings=SQL(", ").join(
                    SQL("GROUPING(%s)", SQL.identifier(column)) for column in columns
                ),
                columns=SQL(", ").join(SQL.identifier(column) for column in columns),
                bin_columns=SQL(", ").join(SQL.identifier(f"bin_{column}") for column in columns),
                sets=SQL(", ").join(sets),
            )
        )
        count = len(FACTORS)
        health_rows, factor_rows = [], {name: [] for name in FACTORS}
        fit_cells, holdout_cells = [], []
        for row in self.env.cr.fetchall():
            groupings, values = row[: count + 2], row[count + 2 :]
            health, scores = values[0], values[1 : count + 1]
            holdout, bins = values[count + 1], values[count + 2 : 2 * count + 2]
            churned, customers = values[-2], values[-1]
            outcome = (customers, customers if churned else 0)
            if not groupings[0]:
                health_rows.append((health, *outcome))
            elif not groupings[-1]:
                cell = backtest.Cell(tuple(bins), *outcome)
                (holdout_cells if holdout else fit_cells).append(cell)
            else:
                index = groupings.index(0) - 1
                factor_rows[FACTORS[index]].append((scores[index], *outcome))
        return health_rows, factor_rows, fit_cells, holdout_cells

    @api.model
    def _holdout_customers(self, params):
        """(churned, kept) distinct customers of the holdout months: the standard error of the
        calibration guard counts customers, not their months."""
        holdout = dict(params, first=params["holdout_from"])
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(DISTINCT partner_id) FILTER (WHERE churned), "
                "COUNT(DISTINCT partner_id) FILTER (WHERE NOT churned) FROM (%s) cm",
                SQL(CUSTOMER_MONTHS, **holdout),
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
    def _calibration(
        self, company, fit_cells, holdout_cells, holdout_customers, fit_months, holdout_months
    ):
        current = company._retention_weights()
        width = backtest.coarsen(fit_cells + holdout_cells)
        if width:
            fit_cells = backtest.merge_cells(fit_cells, width)
            holdout_cells = backtest.merge_cells(holdout_cells, width)
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
                "fit_months": [fields.Date.to_string(month) for month in fit_months],
                "holdout_months": [fields.Date.to_string(month) for month in holdout_months],
                "fit_auc": found.fit_auc,
                "fitted_auc": found.fitted_auc,
                "fitted_weights": found.fitted_weights,
                "fitted_holdout_auc": found.fitted_holdout_auc,
                "current_holdout_auc": found.current_holdout_auc,
                "required_gain": found.required_gain,
                "score_step": width or CELL_WIDTH,
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
