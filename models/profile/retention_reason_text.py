"""The words of engine/reasons.py's codes, in the reader's language: written once, used by the
customers list and cockpit (the main reason) and the health chart (why it moved)."""


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
