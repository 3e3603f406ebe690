# The Python demo generator (as account/demo/account_demo.py): called from
# customer_retention_demo.xml when the module is installed with demo data; the year of
# account reviews and follow-ups on top of it is in retention_demo_practice.py.
from . import retention_demo_data
from . import retention_demo_practice
