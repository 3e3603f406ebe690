# The Python demo generator (as account/demo/account_demo.py): called from
# customer_retention_demo.xml when the module is installed with demo data.
from . import retention_demo_data
