"""Account review rhythm: pure date arithmetic, no ORM.

A cadence names how often a customer's account is reviewed. The models pick the cadence that
applies (the customer's own, else the default of its retention stage, else the company's) and
ask this module when the next review falls due and whether it is time to plan it.
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

#: Review cadences and their labels (the labels are translated through the fields using them).
CADENCES = [
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("half_yearly", "Half-yearly"),
    ("yearly", "Yearly"),
    ("none", "No reviews"),
]

#: Months between two reviews; "none" is absent: never reviewed.
CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}

NO_REVIEW = "none"

#: Retention stages whose customers are reviewed (prospects and churned customers are not).
REVIEWED_STAGES = ("new", "active", "at_risk", "won_back")


def cadence_months(cadence):
    """Months between two reviews, or None for "none". Anything else is a programming or data
    error (an unknown value, a zero or negative rhythm), never silently read as "no review"."""
    if cadence == NO_REVIEW:
        return None
    if cadence not in CADENCE_MONTHS:
        raise ValueError(f"Unknown review cadence: {cadence!r}")
    return CADENCE_MONTHS[cadence]


def effective_cadence(own, stage, company_default, stage_defaults):
    """The cadence that applies to one customer: its own when set, else the default of its
    retention stage when the company sets one (e.g. at-risk customers reviewed sooner), else
    the company's default."""
    return own or (stage_defaults or {}).get(stage) or company_default or NO_REVIEW


def next_review_date(cadence, reference, not_before=None):
    """One cadence after ``reference``; with ``not_before``, the first date of the rhythm
    (reference plus a whole number of cadences, at least one) on or after it. Months are
    counted from the reference each time, so the 31st stays the month's last day instead of
    drifting. None when the cadence is "none" or there is no reference date."""
    months = cadence_months(cadence)
    if months is None or not reference:
        return None
    steps = 1
    if not_before and not_before > reference:
        elapsed = (not_before.year - reference.year) * 12 + not_before.month - reference.month
        steps = max(1, elapsed // months)
    while not_before and reference + relativedelta(months=steps * months) < not_before:
        steps += 1
    return reference + relativedelta(months=steps * months)


def planning_horizon(today, lead_days):
    """Reviews due up to this date are planned today: ``lead_days`` ahead of their due date."""
    if lead_days < 0:
        raise ValueError(f"The planning lead time cannot be negative: {lead_days}")
    return today + timedelta(days=lead_days)


def is_due_for_planning(next_date, today, lead_days):
    """Whether a customer whose next review falls on ``next_date`` gets its review planned."""
    return bool(next_date) and next_date <= planning_horizon(today, lead_days)


def is_overdue(state, date_planned, today):
    """A planned review whose date has passed."""
    return state == "planned" and bool(date_planned) and date_planned < today


def first_open_day(date, lock_date):
    """``date``, or the day after the lock date when it falls on or before it: reviews are not
    planned in a closed period."""
    if lock_date and date <= lock_date:
        return lock_date + timedelta(days=1)
    return date
