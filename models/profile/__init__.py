# The retention profile: the figures of customers, projects and invoices, their builder and
# refresh queue, the health score's settings.
from . import res_company
from . import res_config_settings
from . import mail_activity_type
from . import retention_profile_queue
from . import retention_profile_builder
from . import res_partner
from . import project_project
from . import project_update
from . import account_move
from . import mail_message
from . import retention_reason_text
