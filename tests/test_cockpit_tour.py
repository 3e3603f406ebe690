"""Browser tour of the cockpit (issue #19): Retention > My Customers."""

from odoo.tests import tagged

from .common import RETENTION_MANAGER, RetentionTourCase


@tagged("post_install", "-at_install")
class TestCockpitTour(RetentionTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups(RETENTION_MANAGER)
        admin = cls.show_admin_the_company()
        admin.groups_id = [(4, cls.env.ref(RETENTION_MANAGER).id)]
        cls.customer.retention_account_manager_id = admin
        cls.customer.with_company(cls.company).sudo().write(
            {
                "retention_stage": "at_risk",
                "retention_health_score": 40,
                "retention_main_reason_data": '{"factor": "engagement", "code": "no_contact", '
                '"params": {"days": 75}}',
            }
        )
        cls.env["retention.risk"].create({"partner_id": cls.customer.id, "user_id": admin.id})

    def test_cockpit_tour(self):
        self.start_tour("/odoo", "customer_retention_cockpit_tour", login="admin")
