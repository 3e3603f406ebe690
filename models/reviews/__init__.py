# Scheduled account reviews: the review, its planner, and the cadence on customers.
from . import res_company
from . import res_config_settings
from . import res_partner
from . import retention_review
from . import retention_followup_rule
from . import retention_review_goal
