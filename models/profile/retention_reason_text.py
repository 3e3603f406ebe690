"""The words of engine/reasons.py's codes, in the reader's language: written once, used by the
customers list and cockpit (the main reason, the buying rhythm) and the health chart (why it
moved)."""

#: Days in an average month, for rhythms and ages said in months.
MONTH_DAYS = 30.44
#: Rhythms and ages shorter than this many days are said in days, longer ones in months.
DAYS_SAID_UNTIL = 60


def reason_text(env, code, params):
    """``code`` and ``params`` from engine.reasons.factor_reason as one translated sentence."""
    _ = env._
    params = params or {}
    texts = {
        "no_invoice": lambda: _(
            "no invoice for %(days)s days (buys every %(rhythm)s days)",
            days=params.get("days"),
            rhythm=params.get("rhythm"),
        ),
        "revenue_down": lambda: _(
            "revenue down %(percent)s%% on the year before", percent=params.get("percent")
        ),
        "invoice_overdue": lambda: _("invoice %(days)s days overdue", days=params.get("days")),
        "credit_notes": lambda: _("%(count)s credit notes in 12 months", count=params.get("count")),
        "no_contact": lambda: _("no contact for %(days)s days", days=params.get("days")),
        "low_feedback": lambda: _("latest feedback %(score)s/100", score=params.get("score")),
        "project_off_track": lambda: _("project off track"),
        "project_at_risk": lambda: _("project at risk"),
        "project_on_hold": lambda: _("project on hold"),
        "project_status_stale": lambda: _(
            "no project status update for %(days)s days", days=params.get("days")
        ),
        "tasks_overdue": lambda: _(
            "%(count)s tasks past their deadline", count=params.get("count")
        ),
    }
    text = texts.get(code)
    return text() if text else ""


def factor_change_text(env, factor, delta, reason=None):
    """One line of "why it moved": ``Payment -12: invoice 45 days overdue``."""
    labels = env["res.partner"]._retention_factor_labels()
    label = labels.get(factor, (factor,))[0]
    change = f"{delta:+d}"
    if reason:
        return env._(
            "%(factor)s %(change)s: %(reason)s",
            factor=label,
            change=change,
            reason=reason_text(env, *reason),
        )
    return env._("%(factor)s %(change)s", factor=label, change=change)


def rhythm_text(env, rhythm_days, days_since):
    """A customer's buying rhythm and its last invoice in words, for the re-engage list:
    ``buys every ~3 months, last invoice 5 months ago``."""
    _ = env._
    if rhythm_days < DAYS_SAID_UNTIL:
        rhythm = _("every ~%(days)s days", days=rhythm_days)
    else:
        rhythm = _("every ~%(months)s months", months=round(rhythm_days / MONTH_DAYS))
    if days_since < DAYS_SAID_UNTIL:
        ago = _("%(days)s days ago", days=days_since)
    else:
        ago = _("%(months)s months ago", months=round(days_since / MONTH_DAYS))
    return _("buys %(rhythm)s, last invoice %(ago)s", rhythm=rhythm, ago=ago)
