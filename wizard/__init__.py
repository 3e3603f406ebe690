from . import retention_review_complete
from . import base_partner_merge_automatic_wizard
from . import retention_feedback_request
from . import retention_health_compare
