from . import test_health_engine
from . import test_retention_profile
from . import test_ui_tours
from . import test_refresh_workers
from . import test_review_engine
from . import test_retention_review
from . import test_review_tour
