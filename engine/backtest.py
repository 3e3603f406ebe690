"""Back-test and calibration of the health score: pure functions, no ORM.

A *customer-month* is one customer at the end of one month, with its health score (and its
factor scores) of that month and one outcome: whether it churned within the horizon after.
The models count them set-wise in SQL and hand over aggregated rows; everything here works on
those counts, never on one row per customer:

- ``rows`` of a score: ``(score, customers, churned)`` triples, several per score allowed;
  ``score`` 0-100, or None when the factor had no data (left out of the AUC, counted in the
  coverage);
- ``Cell``: the six factor scores of engine.health.FACTORS (binned), with the number of
  customer-months that have them and how many of those churned: what calibration needs.

AUC (Mann-Whitney): take one customer-month that churned and one that did not; the AUC is the
probability that the churned one has the higher risk (``100 - health``: the lower health), ties
counted half. 1.0 is a perfect ranking, 0.5 is chance, below 0.5 the score points the wrong
way. None without both outcomes.
"""

import math
from dataclasses import dataclass
from operator import getitem

from .health import FACTORS

#: The health bands of the Score Check (inclusive bounds).
BANDS = ((0, 29), (30, 49), (50, 69), (70, 100))
#: The verdict compares customer-months below this health with those at or above HIGH_FROM.
LOW_BELOW = 50
HIGH_FROM = 70

#: Calibration: the weights tried for each factor (integers 0-100, in steps of 5), and how
#: many rounds over the six factors at most.
CANDIDATE_WEIGHTS = tuple(range(0, 101, 5))
MAX_PASSES = 3
#: A suggestion replaces the current weights only when it ranks the holdout months better by
#: at least MIN_GAIN of AUC and by GUARD_Z standard errors of the current AUC there (computed
#: on distinct customers: the months of one customer are not independent draws), and when the
#: fitting and the holdout months each hold at least MIN_CHURNED churned customer-months and as
#: many that did not churn. Below that, a "gain" is noise: the current weights are suggested.
MIN_GAIN = 0.02
GUARD_Z = 2.0
MIN_CHURNED = 10
#: Calibration works on at most this many cells (combinations of factor scores, in the fitting
#: and the holdout months), which bounds the cost of the search: the scores are rounded to the
#: finest step of CELL_WIDTHS that gives no more cells, else to the coarsest (50: 4 values per
#: factor with "no data", at most 2 x 4,096 cells).
MAX_CELLS = 6000
CELL_WIDTHS = (10, 20, 25, 50)
ZERO_POINTS = [0.0] * 101
#: A fit must beat the best so far by more than this to count (float noise).
EPSILON = 1e-9


@dataclass(frozen=True)
class Cell:
    """Customer-months sharing the same (binned) factor scores, in FACTORS order."""

    scores: tuple
    customers: int
    churned: int


@dataclass(frozen=True)
class Calibration:
    weights: dict  # the suggested weights (the current ones unless the gain is real)
    changed: bool  # whether they differ from the current weights
    reason: str  # "better", "no_gain", "not_enough_churn", "no_better_fit"
    fitted_weights: dict  # the best weights on the fitting months, before the guard
    fit_auc: float | None  # AUC of the current weights on the fitting months
    fitted_auc: float | None  # AUC of the fitted weights on the fitting months
    current_holdout_auc: float | None  # AUC of the current weights on the holdout months
    fitted_holdout_auc: float | None  # AUC of the fitted weights on the holdout months
    required_gain: float | None  # the gain on the holdout months the guard asked for


# ----------------------------------------------------------------------
# Counting
# ----------------------------------------------------------------------
def _by_score(rows):
    """{score: [customers, churned]} of the rows with a score."""
    table = {}
    for score, customers, churned in rows:
        if score is None:
            continue
        entry = table.setdefault(score, [0, 0])
        entry[0] += customers
        entry[1] += churned
    return table


def auc(rows):
    """AUC of a risk score: ``rows`` are (risk, customers, churned); a higher risk should mean
    churn. Mann-Whitney U / (churned x kept), ties counted half; None without both outcomes."""
    table = _by_score(rows)
    positives = sum(churned for _customers, churned in table.values())
    negatives = sum(customers - churned for customers, churned in table.values())
    if not positives or not negatives:
        return None
    wins = 0.0
    kept_below = 0
    for risk in sorted(table):
        customers, churned = table[risk]
        kept = customers - churned
        wins += churned * (kept_below + kept / 2.0)
        kept_below += kept
    return wins / (positives * negatives)


def score_auc(rows):
    """AUC of a health or factor score (``rows``: (score, customers, churned)): the risk is
    ``100 - score``, so a low score should mean churn."""
    return auc((None if score is None else 100 - score, c, ch) for score, c, ch in rows)


def totals(rows):
    """(customer-months, churned) of the rows, those without a score included."""
    customers = churned = 0
    for _score, c, ch in rows:
        customers += c
        churned += ch
    return customers, churned


def _rate(churned, customers):
    return churned / customers if customers else None


def bands(rows, limits=BANDS):
    """Customer-months, churned and churn rate (0-1, None when empty) per health band."""
    result = []
    for low, high in limits:
        customers = churned = 0
        for score, c, ch in rows:
            if score is not None and low <= score <= high:
                customers += c
                churned += ch
        result.append(
            {
                "low": low,
                "high": high,
                "customers": customers,
                "churned": churned,
                "churn_rate": _rate(churned, customers),
            }
        )
    return result


def threshold_quality(rows, threshold):
    """Precision and recall of "at risk" (health below ``threshold``) as a churn warning:
    precision = churned among the flagged customer-months (None when none is flagged),
    recall = flagged among those that churned (None when none churned)."""
    flagged = flagged_churned = churned = 0
    for score, c, ch in rows:
        if score is None:
            continue
        churned += ch
        if score < threshold:
            flagged += c
            flagged_churned += ch
    return {
        "threshold": threshold,
        "flagged": flagged,
        "precision": _rate(flagged_churned, flagged),
        "recall": _rate(flagged_churned, churned),
    }


def churn_ratio(rows, low_below=LOW_BELOW, high_from=HIGH_FROM):
    """How many times as often the customer-months below ``low_below`` churned as those at or
    above ``high_from``: the verdict of the Score Check. None where a side is empty (or the
    high side never churned: then the ratio is unbounded)."""
    low = [0, 0]
    high = [0, 0]
    for score, c, ch in rows:
        if score is None:
            continue
        side = low if score < low_below else (high if score >= high_from else None)
        if side is not None:
            side[0] += c
            side[1] += ch
    low_rate, high_rate = _rate(low[1], low[0]), _rate(high[1], high[0])
    ratio = low_rate / high_rate if low_rate is not None and high_rate else None
    return {
        "low_below": low_below,
        "high_from": high_from,
        "low_customers": low[0],
        "high_customers": high[0],
        "low_rate": low_rate,
        "high_rate": high_rate,
        "ratio": ratio,
    }


def factor_summary(rows, all_customers):
    """One factor alone: its AUC over the customer-months where it has data, and its coverage
    (those customer-months / all customer-months counted; None when none is counted)."""
    with_data = sum(c for score, c, _ch in rows if score is not None)
    return {
        "auc": score_auc(rows),
        "coverage": with_data / all_customers if all_customers else None,
        "customers": with_data,
    }


def auc_standard_error(value, positives, negatives):
    """Hanley & McNeil (1982) standard error of an AUC of ``value`` measured on that many
    churned (positives) and kept (negatives) cases."""
    if value is None or not positives or not negatives:
        return None
    q1 = value / (2 - value)
    q2 = 2 * value * value / (1 + value)
    variance = (
        value * (1 - value)
        + (positives - 1) * (q1 - value * value)
        + (negatives - 1) * (q2 - value * value)
    ) / (positives * negatives)
    return math.sqrt(max(variance, 0.0))


# ----------------------------------------------------------------------
# Health with other weights
# ----------------------------------------------------------------------
def health_of(scores, weights):
    """The health score engine.health.combine gives these factor scores (a dict or a tuple in
    FACTORS order) with these weights, computed the same way (same float operations, so the
    same rounding), without building its breakdown. None when no factor applies."""
    if not isinstance(scores, dict):
        scores = dict(zip(FACTORS, scores, strict=True))
    present = [
        name for name in FACTORS if scores.get(name) is not None and weights.get(name, 0) > 0
    ]
    total = sum(weights[name] for name in present)
    if not total:
        return None
    points = sum(scores[name] * (100.0 * weights[name] / total) / 100.0 for name in present)
    return max(0, min(100, round(points)))


def _compile(cells):
    """Cells grouped by which factors have data: {present indexes: [(scores of those, customers,
    churned)]}. Per weight set, each group then needs its shares only once."""
    groups = {}
    for cell in cells:
        present = tuple(i for i, score in enumerate(cell.scores) if score is not None)
        values = tuple(cell.scores[i] for i in present)
        groups.setdefault(present, []).append((values, cell.customers, cell.churned))
    return groups


def _weighted_auc(groups, weights):
    """AUC of the health the weights give the compiled cells (a customer-month no factor of
    which has weight counts as health 0, as engine.health.evaluate shows it). Each factor's
    points for every score 0-100 are computed once per group (the same float operations as
    engine.health.combine), then each cell only adds them up."""
    weight_list = [weights.get(name, 0) for name in FACTORS]
    customers_at = [0] * 101
    churned_at = [0] * 101
    for present, members in groups.items():
        total = sum(weight_list[i] for i in present if weight_list[i] > 0)
        if not total:
            for _values, customers, churned in members:
                customers_at[0] += customers
                churned_at[0] += churned
            continue
        # a factor without weight adds 0.0 points: the same float sum as leaving it out
        points = [
            [score * (100.0 * weight_list[i] / total) / 100.0 for score in range(101)]
            if weight_list[i] > 0
            else ZERO_POINTS
            for i in present
        ]
        for values, customers, churned in members:
            health = round(sum(map(getitem, points, values)))
            health = 0 if health < 0 else (100 if health > 100 else health)
            customers_at[health] += customers
            churned_at[health] += churned
    return score_auc(zip(range(101), customers_at, churned_at, strict=True))


def weighted_auc(cells, weights):
    """AUC of the health score these weights would give the customer-months of the cells."""
    return _weighted_auc(_compile(cells), weights)


# ----------------------------------------------------------------------
# Calibration
# ----------------------------------------------------------------------
def bin_score(score, width):
    """A score rounded to the nearest multiple of ``width`` (halves up), at most 100: how the
    calibration cells are counted (in SQL, by retention.backtest)."""
    if score is None:
        return None
    return min(100, int(score / width + 0.5) * width)


def _outcomes(cells):
    churned = sum(cell.churned for cell in cells)
    return churned, sum(cell.customers for cell in cells) - churned


def fit_weights(cells, start, candidates=CANDIDATE_WEIGHTS, passes=MAX_PASSES):
    """Coordinate search: each factor's weight in turn is set to the candidate that ranks the
    churners of ``cells`` best, the others held; rounds until nothing improves (at most
    ``passes``). Starts from, and on ties keeps, ``start``. Returns (weights, AUC)."""
    groups = _compile(cells)
    best = {name: start.get(name, 0) for name in FACTORS}
    best_auc = _weighted_auc(groups, best)
    if best_auc is None:
        return best, None
    for _round in range(passes):
        improved = False
        for name in FACTORS:
            for value in candidates:
                if value == best[name]:
                    continue
                trial = dict(best, **{name: value})
                if not any(trial.values()):
                    continue
                trial_auc = _weighted_auc(groups, trial)
                if trial_auc is not None and trial_auc > best_auc + EPSILON:
                    best, best_auc, improved = trial, trial_auc, True
        if not improved:
            break
    return best, best_auc


def calibrate(fit_cells, holdout_cells, current, holdout_customers=None, **guard):
    """Suggested weights: fitted on ``fit_cells`` (the older months), checked on
    ``holdout_cells`` (the newer ones). The fitted weights are suggested only when their gain
    over the ``current`` weights on the holdout months is real (see MIN_GAIN, GUARD_Z,
    MIN_CHURNED); ``holdout_customers`` = (churned, kept) distinct customers there, for the
    standard error (default: the customer-months). ``guard`` may override min_gain, z and
    min_churned (tests)."""
    min_gain = guard.get("min_gain", MIN_GAIN)
    z = guard.get("z", GUARD_Z)
    min_churned = guard.get("min_churned", MIN_CHURNED)
    current = {name: current.get(name, 0) for name in FACTORS}
    fit_cells, holdout_cells = list(fit_cells), list(holdout_cells)
    current_holdout = weighted_auc(holdout_cells, current)
    enough = all(
        churned >= min_churned and kept >= min_churned
        for churned, kept in (_outcomes(fit_cells), _outcomes(holdout_cells))
    )
    if not enough:
        return Calibration(
            weights=current,
            changed=False,
            reason="not_enough_churn",
            fitted_weights=current,
            fit_auc=weighted_auc(fit_cells, current),
            fitted_auc=None,
            current_holdout_auc=current_holdout,
            fitted_holdout_auc=None,
            required_gain=None,
        )
    fit_auc = weighted_auc(fit_cells, current)
    fitted, fitted_auc = fit_weights(fit_cells, current)
    fitted_holdout = weighted_auc(holdout_cells, fitted)
    churned, kept = holdout_customers or _outcomes(holdout_cells)
    error = auc_standard_error(current_holdout, churned, kept) or 0.0
    required = max(min_gain, z * error)
    if fitted == current:
        reason = "no_better_fit"
    elif (
        fitted_holdout is not None
        and current_holdout is not None
        and fitted_holdout - current_holdout >= required
    ):
        reason = "better"
    else:
        reason = "no_gain"
    suggested = fitted if reason == "better" else current
    return Calibration(
        weights=suggested,
        changed=suggested != current,
        reason=reason,
        fitted_weights=fitted,
        fit_auc=fit_auc,
        fitted_auc=fitted_auc,
        current_holdout_auc=current_holdout,
        fitted_holdout_auc=fitted_holdout,
        required_gain=required,
    )


def split_months(months, holdout_share=1 / 3):
    """The months (sorted) into the older ones to fit on and the newer ones to check on: the
    newest third (at least one month) is held out; nothing to fit on with a single month."""
    months = sorted(months)
    if len(months) < 2:
        return months, []
    held = max(1, round(len(months) * holdout_share))
    return months[:-held], months[-held:]
