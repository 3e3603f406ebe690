"""18.0.1.3.0: a follow-up rule's customer filter is a plain literal domain (issue #15).

Filters used to be evaluated like record rules (uid, user, context_today()...), which let a
Retention Manager run code as superuser. They are now read as literals only. A filter that
is a literal list stays as it is. One that is not cannot be kept as it is, nor safely
translated (what uid meant depends on who runs the job): its rule is archived, its filter
replaced by one no customer matches, and the old text kept in the rule's error banner, for a
manager to rewrite it with the editor. Each such rule is logged at INFO.

Frozen: plain SQL with literal column names, no import of the module's code.
"""

import ast
import logging

_logger = logging.getLogger("odoo.addons.customer_retention.migrations.followup_filters")

#: matches no customer (ids start at 1)
NO_CUSTOMER_FILTER = '[("id", "=", 0)]'
NOTE = (
    "At the upgrade to 18.0.1.3.0 this rule was archived: its customer filter used names or "
    "expressions, which filters may no longer contain. It now matches no customer. Rewrite "
    "it with the editor, then unarchive the rule. The old filter was:\n%s"
)


def is_literal_list(text):
    """Whether the filter text reads as a literal list (or is empty)."""
    text = (text or "").strip()
    if not text:
        return True
    try:
        value = ast.literal_eval(text)
    except Exception:  # noqa: BLE001 anything that is not a literal
        return False
    return isinstance(value, (list, tuple))


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT id, partner_domain FROM retention_followup_rule ORDER BY id")
    for rule_id, text in cr.fetchall():
        if is_literal_list(text):
            continue
        cr.execute(
            """
            UPDATE retention_followup_rule
               SET active = FALSE, partner_domain = %s, last_error = %s,
                   last_error_date = NOW() AT TIME ZONE 'UTC'
             WHERE id = %s
            """,
            [NO_CUSTOMER_FILTER, NOTE % text, rule_id],
        )
        _logger.info(
            "Follow-up rule %s archived: its customer filter was not a plain list of "
            "conditions; the old filter is kept in the rule's error message",
            rule_id,
        )
