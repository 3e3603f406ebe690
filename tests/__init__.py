from . import test_health_engine
from . import test_retention_profile
