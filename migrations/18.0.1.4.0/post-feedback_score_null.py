"""18.0.1.4.0: the score of a feedback request is empty (NULL) until the customer answers
(issue #17). Requests stored before kept a 0 there, shown as "Score 0" in lists and pivots and
averaged in as the worst NPS: unanswered requests lose it. Answers (an NPS of 0 included) are
kept."""

#: Frozen: the table and columns as this release has them.
CLEAR_UNANSWERED = """
    UPDATE retention_feedback SET score = NULL
     WHERE state <> 'answered' AND score IS NOT NULL
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT to_regclass('retention_feedback')")
    if cr.fetchone()[0] is None:
        return
    cr.execute(CLEAR_UNANSWERED)
