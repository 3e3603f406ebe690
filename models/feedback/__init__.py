# Customer feedback (NPS/CSAT) asked through a private link.
from . import res_company
from . import res_config_settings
from . import retention_feedback
from . import res_partner
from . import project_project
from . import retention_profile_builder
from . import retention_followup_rule
from . import retention_followup_action
from . import retention_review
