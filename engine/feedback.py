"""Customer feedback maths: scales, categories, NPS and CSAT (no ORM).

- **NPS** (Net Promoter Score): "How likely are you to recommend us?" on 0-10. Promoters answer
  9-10, passives 7-8, detractors 0-6. NPS = % promoters - % detractors, from -100 to +100.
- **CSAT** (customer satisfaction): "How satisfied are you?" on 1-5. 4-5 are satisfied
  (promoters here), 3 neutral (passive), 1-2 unsatisfied (detractors). CSAT = % satisfied,
  from 0 to 100.
"""

NPS = "nps"
CSAT = "csat"

#: Lowest and highest score of each kind of question.
SCALES = {NPS: (0, 10), CSAT: (1, 5)}

DETRACTOR = "detractor"
PASSIVE = "passive"
PROMOTER = "promoter"

#: Points of one answer in the stored measures whose average is the NPS / CSAT of a group.
NPS_POINTS = {PROMOTER: 100, PASSIVE: 0, DETRACTOR: -100}


def scale_of(kind):
    """(lowest, highest) score of this kind of question; ValueError for an unknown kind."""
    try:
        return SCALES[kind]
    except KeyError:
        raise ValueError(f"unknown feedback kind {kind!r}") from None


def is_valid_score(kind, score):
    """True when ``score`` is an integer (not a bool) on the scale of ``kind``."""
    if kind not in SCALES or isinstance(score, bool) or not isinstance(score, int):
        return False
    low, high = SCALES[kind]
    return low <= score <= high


def category_of(kind, score):
    """detractor / passive / promoter of one answer; None when there is no valid answer."""
    if not is_valid_score(kind, score):
        return None
    if kind == NPS:
        if score >= 9:
            return PROMOTER
        return PASSIVE if score >= 7 else DETRACTOR
    if score >= 4:
        return PROMOTER
    return PASSIVE if score == 3 else DETRACTOR


def nps(scores):
    """Net Promoter Score of 0-10 answers: % promoters - % detractors, rounded to 0.1;
    None without answers. Scores off the scale are ignored."""
    valid = [score for score in scores if is_valid_score(NPS, score)]
    if not valid:
        return None
    promoters = sum(1 for score in valid if score >= 9)
    detractors = sum(1 for score in valid if score <= 6)
    return round(100.0 * (promoters - detractors) / len(valid), 1)


def csat(scores):
    """CSAT of 1-5 answers: % of answers of 4 or 5, rounded to 0.1; None without answers.
    Scores off the scale are ignored."""
    valid = [score for score in scores if is_valid_score(CSAT, score)]
    if not valid:
        return None
    return round(100.0 * sum(1 for score in valid if score >= 4) / len(valid), 1)


def nps_points(kind, score):
    """+100 for a promoter, -100 for a detractor, 0 for a passive: the mean of these points
    over NPS answers is the NPS. 0 for CSAT answers (they are left out of the mean)."""
    category = category_of(kind, score)
    if kind != NPS or category is None:
        return 0
    return NPS_POINTS[category]


def csat_points(kind, score):
    """100 for a CSAT answer of 4-5, else 0: their mean over CSAT answers is the CSAT."""
    if kind != CSAT or not is_valid_score(kind, score):
        return 0
    return 100 if score >= 4 else 0


#: Odoo's own ratings (rating.rating: 1-5, answered 1, 3 or 5), which count in the satisfaction
#: factor of the health score next to the feedback answers.
RATING = "rating"
#: Every scale the satisfaction factor reads, lowest and highest score.
SATISFACTION_SCALES = {**SCALES, RATING: (1, 5)}


def satisfaction_steps(kind):
    """(lowest score, points per step) of the satisfaction scale of this kind: an answer is
    worth (score - lowest) x points on 0-100 (NPS x 10; CSAT and ratings (score - 1) x 25).
    The one definition of the scale: the profile builder's SQL is generated from it."""
    try:
        low, high = SATISFACTION_SCALES[kind]
    except KeyError:
        raise ValueError(f"unknown feedback kind {kind!r}") from None
    return low, 100 // (high - low)


def satisfaction_of(kind, score):
    """One answer (or Odoo rating) on the 0-100 satisfaction scale of the health score (see
    satisfaction_steps). None for no valid answer."""
    if kind == RATING:
        low, high = SATISFACTION_SCALES[RATING]
        valid = isinstance(score, int) and not isinstance(score, bool) and low <= score <= high
    else:
        valid = is_valid_score(kind, score)
    if not valid:
        return None
    low, step = satisfaction_steps(kind)
    return (score - low) * step
