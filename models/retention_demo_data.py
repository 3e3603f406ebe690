from odoo import models


class RetentionDemoData(models.AbstractModel):
    _name = "retention.demo.data"
    _description = "Retention demo data generator"

    def _generate_demo_data(self):
        """Placeholder: replaced by the demo generator."""
        return True
