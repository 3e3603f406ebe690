"""Health score and retention stage: pure functions, no ORM.

Every factor maps plain facts about one customer to a score from 0 to 100, or to
``None`` when the customer has no data for it. ``combine`` re-weights over the
factors that have data, so a missing factor never counts as zero. ``evaluate``
ties it together with the stage rules. The models gather the facts set-wise and
call these functions; tests call them directly.
"""

from dataclasses import dataclass, field
from datetime import date

FACTORS = ("recency", "trend", "payment", "engagement", "satisfaction", "delivery")

DEFAULT_WEIGHTS = {
    "recency": 25,
    "trend": 15,
    "payment": 20,
    "engagement": 15,
    "satisfaction": 15,
    "delivery": 10,
}

# Score of a project by the status of its latest update (project.update.status).
PROJECT_STATUS_SCORES = {
    "on_track": 100,
    "done": 100,
    "on_hold": 60,
    "at_risk": 50,
    "off_track": 0,
}

#: Usual gap between invoices assumed for a customer with a single invoice date.
DEFAULT_RHYTHM_DAYS = 90
MIN_RHYTHM_DAYS = 30
#: Revenue below half a cent is rounding noise, not revenue.
MIN_REVENUE = 0.005


@dataclass(frozen=True)
class StageRules:
    """The configurable numbers of the stage rules (defaults as documented)."""

    churn_days: int = 365
    at_risk_threshold: int = 50
    won_back_days: int = 180
    onboarding_days: int = 90
    engagement_full_days: int = 30
    engagement_zero_days: int = 180


@dataclass(frozen=True)
class ProjectFacts:
    """What the delivery factor needs of one open project."""

    status: str | None = None  # latest status update, None when never updated
    days_since_update: int | None = None
    open_task_count: int = 0
    overdue_task_count: int = 0


@dataclass(frozen=True)
class CustomerFacts:
    """Everything the score and the stage are computed from, for one customer in one company."""

    first_invoice_date: date | None = None
    last_invoice_date: date | None = None
    invoice_date_count: int = 0  # distinct invoice dates, for the buying rhythm
    last_winback_date: date | None = None  # first invoice after a gap longer than the churn window
    revenue_12m: float = 0.0
    revenue_prev_12m: float = 0.0
    invoice_count_12m: int = 0
    credit_note_count_12m: int = 0
    overdue_amount: float = 0.0
    overdue_days: int = 0  # age of the oldest overdue invoice
    last_contact_date: date | None = None
    satisfaction: int | None = None  # latest feedback on a 0-100 scale
    open_projects: tuple = field(default_factory=tuple)
    lost_date: date | None = None  # marked lost on purpose (account review outcome "lost")


@dataclass(frozen=True)
class FactorResult:
    name: str
    score: int | None
    weight: int
    share: float = 0.0  # percentage of the health score this factor decides
    points: float = 0.0  # points it brings to the health score


@dataclass(frozen=True)
class Evaluation:
    health: int
    stage: str
    factors: tuple


def _clamp(value, low=0, high=100):
    return max(low, min(high, value))


def _linear_decline(days, full_until, zero_at):
    """100 up to ``full_until`` days, 0 from ``zero_at`` days, a straight line between."""
    if days <= full_until:
        return 100
    if days >= zero_at:
        return 0
    return round(100 * (zero_at - days) / (zero_at - full_until))


def buying_rhythm_days(first_invoice_date, last_invoice_date, invoice_date_count):
    """The customer's usual gap between invoices: the span divided by the gaps it holds."""
    if not first_invoice_date or invoice_date_count < 2:
        return DEFAULT_RHYTHM_DAYS
    span = (last_invoice_date - first_invoice_date).days
    return max(MIN_RHYTHM_DAYS, round(span / (invoice_date_count - 1)))


def recency_score(days_since_last_invoice, rhythm_days, churn_days):
    """Full marks while the customer buys on their own rhythm, zero at three gaps
    (or at the churn window, whichever comes first)."""
    if days_since_last_invoice is None:
        return None
    zero_at = min(3 * rhythm_days, churn_days)
    full_until = min(rhythm_days, zero_at - 1)
    return _linear_decline(days_since_last_invoice, full_until, zero_at)


def trend_score(revenue_12m, revenue_prev_12m):
    """Last 12 months against the 12 before: keeping or growing revenue scores 100,
    a fall scores the share kept. No revenue in the earlier year (less than a cent) means
    no trend yet."""
    if revenue_prev_12m < MIN_REVENUE:
        return None
    return _clamp(round(100 * min(revenue_12m / revenue_prev_12m, 1.0)))


def payment_score(
    overdue_amount,
    overdue_days,
    revenue_12m,
    invoice_count_12m,
    credit_note_count_12m,
    has_invoices,
):
    """100 minus penalties: up to 50 for the age of the oldest overdue invoice (full at 90
    days), up to 30 for the overdue amount against 12-month revenue, up to 20 for invoices
    corrected by credit notes."""
    if not has_invoices:
        return None
    penalty = 0.0
    if overdue_amount > 0:
        penalty += min(50.0, 50.0 * max(overdue_days, 0) / 90)
        base = revenue_12m if revenue_12m > overdue_amount else overdue_amount
        penalty += 30.0 * overdue_amount / base
    if credit_note_count_12m > 0:
        penalty += min(20.0, 40.0 * credit_note_count_12m / max(invoice_count_12m, 1))
    return _clamp(round(100 - penalty))


def engagement_score(days_since_contact, rules):
    """Days since the last real exchange with the customer; no exchange recorded is no data."""
    if days_since_contact is None:
        return None
    return _linear_decline(
        max(days_since_contact, 0), rules.engagement_full_days, rules.engagement_zero_days
    )


def satisfaction_score(latest_feedback):
    """The latest feedback, already on a 0-100 scale."""
    if latest_feedback is None:
        return None
    return _clamp(round(latest_feedback))


def project_delivery_score(project):
    """One open project: its latest status, minus 20 when the status is older than 30 days
    (40 after 60), minus up to 50 for the share of open tasks that are overdue."""
    has_status = project.status in PROJECT_STATUS_SCORES
    if not has_status and not project.open_task_count:
        return None
    score = PROJECT_STATUS_SCORES[project.status] if has_status else 100
    if has_status and project.days_since_update is not None:
        if project.days_since_update > 60:
            score -= 40
        elif project.days_since_update > 30:
            score -= 20
    if project.open_task_count:
        score -= 50 * project.overdue_task_count / project.open_task_count
    return _clamp(round(score))


def delivery_score(open_projects):
    """Average over the open projects that have a status or tasks."""
    scores = [s for s in map(project_delivery_score, open_projects) if s is not None]
    if not scores:
        return None
    return round(sum(scores) / len(scores))


def combine(scores, weights):
    """Weighted mean over the factors that have data and a positive weight.

    Returns the health score (None when no factor applies) and one FactorResult per factor,
    with the share of the score each one decides and the points it brings.
    """
    present = {
        name: score
        for name, score in scores.items()
        if score is not None and weights.get(name, 0) > 0
    }
    total_weight = sum(weights[name] for name in present)
    results = []
    for name in FACTORS:
        score = scores.get(name)
        weight = weights.get(name, 0)
        if name in present and total_weight:
            share = 100.0 * weight / total_weight
            results.append(FactorResult(name, score, weight, share, score * share / 100.0))
        else:
            results.append(FactorResult(name, score, weight))
    if not total_weight:
        return None, tuple(results)
    health = round(sum(r.points for r in results))
    return _clamp(health), tuple(results)


def retention_stage(facts, health, rules, today):
    """Stage rules, in order of precedence (see docs/features.md): prospect, churned (or
    marked lost and not invoiced since), at risk, won back, new, active. ``today`` is the day
    the stage is taken on, ``facts`` the customer's history up to then. The monthly snapshots
    run the same rules in SQL (models/profile/res_company.retention_stage_sql), held against
    this function by tests/test_rule_owners.py."""
    if not facts.last_invoice_date:
        return "prospect"
    if (today - facts.last_invoice_date).days > rules.churn_days:
        return "churned"
    if facts.lost_date and facts.last_invoice_date <= facts.lost_date:
        return "churned"  # lost on purpose, and not invoiced since
    if health is not None and health < rules.at_risk_threshold:
        return "at_risk"
    if facts.last_winback_date and (today - facts.last_winback_date).days <= rules.won_back_days:
        return "won_back"
    if (
        facts.first_invoice_date
        and (today - facts.first_invoice_date).days <= rules.onboarding_days
    ):
        return "new"
    return "active"


def factor_scores(facts, rules, today):
    """Each factor's score for one customer (None where there is no data)."""
    days_since_invoice = (today - facts.last_invoice_date).days if facts.last_invoice_date else None
    days_since_contact = (today - facts.last_contact_date).days if facts.last_contact_date else None
    rhythm = buying_rhythm_days(
        facts.first_invoice_date, facts.last_invoice_date, facts.invoice_date_count
    )
    return {
        "recency": recency_score(days_since_invoice, rhythm, rules.churn_days),
        "trend": trend_score(facts.revenue_12m, facts.revenue_prev_12m),
        "payment": payment_score(
            facts.overdue_amount,
            facts.overdue_days,
            facts.revenue_12m,
            facts.invoice_count_12m,
            facts.credit_note_count_12m,
            has_invoices=bool(facts.last_invoice_date),
        ),
        "engagement": engagement_score(days_since_contact, rules),
        "satisfaction": satisfaction_score(facts.satisfaction),
        "delivery": delivery_score(facts.open_projects),
    }


def evaluate(facts, weights, rules, today):
    """Health score (0 when nothing applies), stage and factor breakdown of one customer."""
    health, factors = combine(factor_scores(facts, rules, today), weights)
    stage = retention_stage(facts, health, rules, today)
    return Evaluation(health=health or 0, stage=stage, factors=factors)
