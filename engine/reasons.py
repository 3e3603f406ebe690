"""Why a customer's health is what it is, in facts a person can act on: pure functions, no ORM.

``factor_reason`` turns one factor's facts into a reason code and its numbers ("no contact for
75 days" is ``("no_contact", {"days": 75})``); the models turn codes into words in the reader's
language (models/profile/retention_reason_text.py). ``main_reason`` is the factor that costs
the most points among those scoring below the healthy band (the cockpit's and the customers
list's reason), ``moved_factors`` the factors
whose points changed between two evaluations, largest first (the health chart's "why it moved").
The scores themselves stay in engine/health.py: this module only reads the same facts.
"""

from .health import PROJECT_STATUS_SCORES, buying_rhythm_days

#: A factor that costs less than this many points is not worth naming as a reason.
MIN_LOST_POINTS = 1.0
#: A factor scoring this or more is in the healthy band: it may cost a few points (a latest
#: feedback of 90/100), but it is no risk, so it is never named as the main reason.
HEALTHY_FACTOR_SCORE = 70


def _days(today, day):
    return (today - day).days if day else None


def _recency_reason(facts, rules, today):
    days = _days(today, facts.last_invoice_date)
    if days is None:
        return None
    rhythm = buying_rhythm_days(
        facts.first_invoice_date, facts.last_invoice_date, facts.invoice_date_count
    )
    return "no_invoice", {"days": days, "rhythm": rhythm}


def _trend_reason(facts, rules, today):
    if facts.revenue_prev_12m <= 0:
        return None
    kept = 100.0 * facts.revenue_12m / facts.revenue_prev_12m
    return "revenue_down", {"percent": max(0, round(100 - kept))}


def _payment_reason(facts, rules, today):
    if facts.overdue_amount > 0:
        return "invoice_overdue", {"days": max(facts.overdue_days, 0)}
    if facts.credit_note_count_12m > 0:
        return "credit_notes", {"count": facts.credit_note_count_12m}
    return None


def _engagement_reason(facts, rules, today):
    days = _days(today, facts.last_contact_date)
    if days is None:
        return None
    return "no_contact", {"days": max(days, 0)}


def _satisfaction_reason(facts, rules, today):
    if facts.satisfaction is None:
        return None
    return "low_feedback", {"score": round(facts.satisfaction)}


def _delivery_reason(facts, rules, today):
    """The worst open project: its status first, then a stale update, then overdue tasks."""
    projects = [p for p in facts.open_projects if p.status or p.open_task_count]
    if not projects:
        return None
    worst = min(projects, key=lambda p: PROJECT_STATUS_SCORES.get(p.status, 100))
    if worst.status in ("off_track", "at_risk", "on_hold"):
        return "project_" + worst.status, {}
    stale = max((p.days_since_update or 0) for p in projects)
    if stale > 30:
        return "project_status_stale", {"days": stale}
    overdue = sum(p.overdue_task_count for p in projects)
    if overdue:
        return "tasks_overdue", {"count": overdue}
    return None


_REASONS = {
    "recency": _recency_reason,
    "trend": _trend_reason,
    "payment": _payment_reason,
    "engagement": _engagement_reason,
    "satisfaction": _satisfaction_reason,
    "delivery": _delivery_reason,
}


def factor_reason(name, facts, rules, today):
    """``(code, params)`` saying what lowers factor ``name`` for this customer, or None."""
    return _REASONS[name](facts, rules, today)


def lost_points(factor):
    """Points a factor costs the health score: its share of the score not earned."""
    if factor.score is None or not factor.share:
        return 0.0
    return factor.share * (100 - factor.score) / 100.0


def main_reason(factors, facts, rules, today):
    """The reason of the factor that costs the most points, as ``(factor, code, params)``;
    None when no factor costs at least MIN_LOST_POINTS while scoring below
    HEALTHY_FACTOR_SCORE, or none can say why."""
    ranked = sorted(factors, key=lost_points, reverse=True)
    for factor in ranked:
        if lost_points(factor) < MIN_LOST_POINTS:
            return None
        if factor.score >= HEALTHY_FACTOR_SCORE:
            continue  # mild: costs points, but no risk to name
        reason = factor_reason(factor.name, facts, rules, today)
        if reason:
            return (factor.name, *reason)
    return None


def moved_factors(before, after):
    """``[(factor, points change)]`` for the factors whose points changed between two
    evaluations given as ``{factor: points}``, the largest change first (a factor missing on
    one side counts 0 points there). Changes under half a point are rounding, not movement."""
    changes = []
    for name in dict.fromkeys([*before, *after]):
        delta = (after.get(name) or 0.0) - (before.get(name) or 0.0)
        if abs(delta) >= 0.5:
            changes.append((name, round(delta)))
    return sorted(changes, key=lambda item: (-abs(item[1]), item[0]))
