# Follow-up automation: rules, their actions, the log of what fired.
from . import retention_followup_rule
from . import retention_followup_action
from . import retention_followup_log
from . import res_partner
from . import project_project
