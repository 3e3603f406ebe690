from . import res_company
from . import res_config_settings
from . import mail_activity_type
from . import retention_profile_builder
from . import res_partner
from . import project_project
from . import account_move
from . import retention_demo_data
