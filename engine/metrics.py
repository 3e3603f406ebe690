"""Retention metrics: plain functions, no ORM.

Definitions (the same text is in the README and the screens' help):

- A *customer* is a commercial partner of one company. Its *12-month revenue* at the end of a
  month is the sum of its posted customer invoices minus credit notes (untaxed, in the
  company's currency) dated in that month and the 11 before. It is *active* in a month when
  that 12-month revenue is above zero; a customer who was not active and is invoiced again is
  active again (won back).
- A period (month, quarter, year) *starts* at the end of the month before its first month and
  *ends* at the end of its last month (of the current month for the running period).
- S: customers active at the start, E: active at the end, N: customers gained in the period
  (active at the end, not at the start: new customers and won-back ones), retained = E - N.

- Repeat and new revenue: the revenue of the period (net of credit notes) of the customers
  first invoiced before the period (repeat) or in it (new). A customer's first invoice is its
  first posted customer invoice: credit notes dated before it (a customer refunded before it
  is ever invoiced, or only refunded) belong to neither part, so they cannot push the share
  out of range. Repeat revenue share = repeat / (repeat + new), each part counted only when
  positive (a part that nets to a refund counts as zero).

Every rate is a percentage, or None when its base is zero or negative (shown empty, never 0).
Rates clamp to their range (the rule, written once in RATE_RANGES): a share of a whole
(retention, churn, gross revenue retention, repeat revenue) stays within 0-100 %; net revenue
retention is at least 0 % and has no upper bound (existing customers can more than double).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerPeriod:
    """One customer in one period, as the metrics need it."""

    active_start: bool = False
    active_end: bool = False
    revenue_start: float = 0.0  # 12-month revenue at the start of the period
    revenue_end: float = 0.0  # 12-month revenue at the end of the period
    revenue_period: float = 0.0  # revenue invoiced in the period
    repeat: bool = False  # first invoiced in an earlier period
    at_risk: bool = False  # retention stage "at risk" at the end of the period
    revenue_lifetime: float = 0.0  # revenue from the first invoice to the end of the period
    new: bool = False  # first invoiced in this period


@dataclass(frozen=True)
class Movements:
    """How the 12-month revenue of one customer present at the start moved in the period."""

    start: float = 0.0
    retained: float = 0.0  # kept, at most the start revenue (for gross retention)
    expansion: float = 0.0
    contraction: float = 0.0
    churned: float = 0.0  # start revenue of a customer no longer active at the end


#: The range each rate is clamped to, (low, high) in %; None: unbounded.
RATE_RANGES = {
    "customer_retention_rate": (0.0, 100.0),
    "logo_churn_rate": (0.0, 100.0),
    "revenue_churn_rate": (0.0, 100.0),
    "gross_revenue_retention": (0.0, 100.0),
    "net_revenue_retention": (0.0, None),
    "repeat_revenue_share": (0.0, 100.0),
}


def ratio(part, base, bounds=(None, None)):
    """part / base in %, None when the base is not positive; clamped to ``bounds`` (low,
    high; None: unbounded)."""
    if not base or base <= 0:
        return None
    value = 100.0 * part / base
    low, high = bounds
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def revenue_movements(active_start, revenue_start, active_end, revenue_end):
    """Split the revenue of a customer present at the start into retained, expansion,
    contraction and churn. Customers absent at the start bring nothing (their revenue is new
    business, not retention)."""
    if not active_start:
        return Movements()
    start = max(revenue_start, 0.0)
    if not active_end:
        return Movements(start=start, churned=start)
    end = max(revenue_end, 0.0)
    return Movements(
        start=start,
        retained=min(start, end),
        expansion=max(end - start, 0.0),
        contraction=max(start - end, 0.0),
    )


def customer_retention_rate(customers_start, customers_end, customers_gained):
    """(customers at end - customers gained) / customers at start."""
    return ratio(
        customers_end - customers_gained, customers_start, RATE_RANGES["customer_retention_rate"]
    )


def logo_churn_rate(customers_start, customers_lost):
    """Customers active at the start and not at the end / customers at start."""
    return ratio(customers_lost, customers_start, RATE_RANGES["logo_churn_rate"])


def revenue_churn_rate(revenue_start, revenue_churned):
    """12-month revenue of the customers lost / 12-month revenue of the customers at start."""
    return ratio(revenue_churned, revenue_start, RATE_RANGES["revenue_churn_rate"])


def gross_revenue_retention(revenue_start, revenue_churned, revenue_contraction):
    """Start revenue minus churn and contraction, / start revenue (never above 100%)."""
    return ratio(
        revenue_start - revenue_churned - revenue_contraction,
        revenue_start,
        RATE_RANGES["gross_revenue_retention"],
    )


def net_revenue_retention(revenue_start, revenue_churned, revenue_contraction, revenue_expansion):
    """Start revenue minus churn and contraction plus expansion, / start revenue."""
    return ratio(
        revenue_start - revenue_churned - revenue_contraction + revenue_expansion,
        revenue_start,
        RATE_RANGES["net_revenue_retention"],
    )


def repeat_revenue_share(revenue_repeat, revenue_new):
    """Repeat revenue / (repeat + new revenue) of the period, each part counted when positive:
    within 0-100 %, None when neither part is positive."""
    repeat, new = max(revenue_repeat or 0.0, 0.0), max(revenue_new or 0.0, 0.0)
    return ratio(repeat, repeat + new, RATE_RANGES["repeat_revenue_share"])


def average_lifetime_value(revenue_lifetime_total, customers):
    """Revenue from their first invoice to the end of the period, per customer active at the
    end; None without customers."""
    if not customers:
        return None
    return revenue_lifetime_total / customers


def summarize(rows):
    """Every metric of one period from its CustomerPeriod rows (one per customer)."""
    totals = {
        "customers_start": 0,
        "customers_end": 0,
        "customers_gained": 0,
        "customers_lost": 0,
        "revenue_start": 0.0,
        "revenue_end": 0.0,
        "revenue_retained": 0.0,
        "revenue_expansion": 0.0,
        "revenue_contraction": 0.0,
        "revenue_churned": 0.0,
        "revenue_period": 0.0,
        "revenue_repeat": 0.0,
        "revenue_new": 0.0,
        "revenue_at_risk": 0.0,
        "revenue_lifetime": 0.0,
    }
    for row in rows:
        totals["customers_start"] += bool(row.active_start)
        totals["customers_end"] += bool(row.active_end)
        totals["customers_gained"] += bool(row.active_end and not row.active_start)
        totals["customers_lost"] += bool(row.active_start and not row.active_end)
        if row.active_end:
            totals["revenue_end"] += row.revenue_end
            totals["revenue_lifetime"] += row.revenue_lifetime
            if row.at_risk:
                totals["revenue_at_risk"] += row.revenue_end
        moves = revenue_movements(
            row.active_start, row.revenue_start, row.active_end, row.revenue_end
        )
        totals["revenue_start"] += moves.start
        totals["revenue_retained"] += moves.retained
        totals["revenue_expansion"] += moves.expansion
        totals["revenue_contraction"] += moves.contraction
        totals["revenue_churned"] += moves.churned
        totals["revenue_period"] += row.revenue_period
        if row.repeat:
            totals["revenue_repeat"] += row.revenue_period
        elif row.new:
            totals["revenue_new"] += row.revenue_period
    return rates(totals)


def rates(totals):
    """Add the rates to a dict of totals (as summarize() builds, or summed in SQL)."""
    result = dict(totals)
    result.update(
        customer_retention_rate=customer_retention_rate(
            totals["customers_start"], totals["customers_end"], totals["customers_gained"]
        ),
        logo_churn_rate=logo_churn_rate(totals["customers_start"], totals["customers_lost"]),
        revenue_churn_rate=revenue_churn_rate(totals["revenue_start"], totals["revenue_churned"]),
        gross_revenue_retention=gross_revenue_retention(
            totals["revenue_start"], totals["revenue_churned"], totals["revenue_contraction"]
        ),
        net_revenue_retention=net_revenue_retention(
            totals["revenue_start"],
            totals["revenue_churned"],
            totals["revenue_contraction"],
            totals["revenue_expansion"],
        ),
        repeat_revenue_share=repeat_revenue_share(
            totals["revenue_repeat"], totals.get("revenue_new", 0.0)
        ),
        average_lifetime_value=average_lifetime_value(
            totals["revenue_lifetime"], totals["customers_end"]
        ),
    )
    return result


#: A customer's 12-month revenue is rising or falling when it is more than this share off the
#: 12 months before (5 %), else steady.
REVENUE_TREND_TOLERANCE = 0.05


def trend(current, previous, tolerance=0.0, relative=False):
    """'up', 'down' or 'steady' between two values; None when either is unknown. Values within
    ``tolerance`` of each other are steady: an amount, or with ``relative`` a share of the
    previous value (0.05: 5 % of it)."""
    if current is None or previous is None:
        return None
    margin = tolerance * abs(previous) if relative else tolerance
    if current > previous + margin:
        return "up"
    if current < previous - margin:
        return "down"
    return "steady"


def revenue_trend(revenue_12m, revenue_prev_12m):
    """The revenue trend of a customer: its last 12 months against the 12 before, steady
    within REVENUE_TREND_TOLERANCE; None when neither year has revenue."""
    if revenue_12m <= 0 and revenue_prev_12m <= 0:
        return None
    return trend(revenue_12m, revenue_prev_12m, REVENUE_TREND_TOLERANCE, relative=True)
