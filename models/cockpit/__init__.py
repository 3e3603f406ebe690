# The account manager's cockpit (issue #19): the main reason in words and the buying-rhythm due
# date on customers, risk cases with churn reasons (opened by a follow-up action, closed by the
# builder's stages), what to do today.
from . import res_company
from . import res_config_settings
from . import retention_churn_reason
from . import retention_risk
from . import res_partner
from . import retention_followup_action
from . import retention_followup_rule
from . import retention_profile_builder
from . import retention_feedback
from . import retention_dashboard
from . import retention_cockpit
from . import res_users
from . import retention_weekly_digest
