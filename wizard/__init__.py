from . import retention_review_complete
