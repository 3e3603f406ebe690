"""18.0.1.3.0: the secret of a feedback link is stored in feedback_token instead of access_token
(issue #15: mail and portal took a field named access_token as a key to the request's chatter).

Before the registry loads the new field, the column, its unique constraint (and the index
backing it), and their records in ir_model_fields / ir_model_constraint / ir_model_data are
renamed: every token is kept, so the links already emailed keep working. Frozen SQL: the names
are literals of the two releases, not the model's constants.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, constraint_definition

TABLE = "retention_feedback"
MODEL = "retention.feedback"
OLD_COLUMN, NEW_COLUMN = "access_token", "feedback_token"
OLD_CONSTRAINT = "retention_feedback_access_token_unique"
NEW_CONSTRAINT = "retention_feedback_feedback_token_unique"


def rename_feedback_token(cr):
    """Rename the token column and what is named after it; does nothing when already done."""
    if not column_exists(cr, TABLE, OLD_COLUMN) or column_exists(cr, TABLE, NEW_COLUMN):
        return False
    table, old_column, new_column = map(SQL.identifier, (TABLE, OLD_COLUMN, NEW_COLUMN))
    cr.execute(SQL("ALTER TABLE %s RENAME COLUMN %s TO %s", table, old_column, new_column))
    if constraint_definition(cr, TABLE, OLD_CONSTRAINT):
        # renames the unique index backing it too
        old_name, new_name = SQL.identifier(OLD_CONSTRAINT), SQL.identifier(NEW_CONSTRAINT)
        cr.execute(SQL("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", table, old_name, new_name))
    cr.execute(
        "UPDATE ir_model_constraint SET name = %s WHERE name = %s",
        (NEW_CONSTRAINT, OLD_CONSTRAINT),
    )
    cr.execute(
        "UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s",
        (NEW_COLUMN, MODEL, OLD_COLUMN),
    )
    cr.execute(
        """
        UPDATE ir_model_data SET name = %s
         WHERE module = 'customer_retention' AND name = %s
        """,
        (f"field_retention_feedback__{NEW_COLUMN}", f"field_retention_feedback__{OLD_COLUMN}"),
    )
    cr.execute(
        """
        UPDATE ir_model_data SET name = %s
         WHERE module = 'customer_retention' AND name = %s
        """,
        (f"constraint_{NEW_CONSTRAINT}", f"constraint_{OLD_CONSTRAINT}"),
    )
    return True


def migrate(cr, version):
    if not version:
        return
    rename_feedback_token(cr)
