{
    "name": "Customer Retention",
    "version": "18.0.1.4.0",
    "category": "Services/Retention",
    "summary": "Keep the customers you have: retention profile, health score, "
    "account reviews and follow-ups for service businesses",
    "description": """
Customer Retention for service businesses
=========================================
Every customer carries live retention figures computed from what Odoo already
records (invoices, payments, projects, messages, activities), an explainable
health score and a retention stage (new, active, at risk, churned, won back).
""",
    "author": "customer_retention contributors",
    "website": "https://github.com/customer-retention/customer_retention",
    "license": "LGPL-3",
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "depends": ["mail", "contacts", "project", "account"],
    "data": [
        "security/customer_retention_groups.xml",
        "security/ir.model.access.csv",
        "security/retention_review_security.xml",
        "security/retention_followup_security.xml",
        "security/retention_analytics_security.xml",
        "security/retention_feedback_security.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "data/retention_review_data.xml",
        "data/retention_review_templates.xml",
        "data/retention_followup_data.xml",
        "data/retention_feedback_data.xml",
        "data/res_lang_data.xml",
        "data/res_currency_data.xml",
        "views/res_partner_views.xml",
        "views/project_project_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/retention_review_views.xml",
        "wizard/retention_review_complete_views.xml",
        "views/retention_followup_rule_views.xml",
        "views/retention_followup_log_views.xml",
        "views/res_partner_followup_views.xml",
        "views/project_project_followup_views.xml",
        "views/customer_retention_menus.xml",
        "views/retention_review_menus.xml",
        "views/retention_followup_menus.xml",
        "views/retention_snapshot_views.xml",
        "report/retention_metric_report_views.xml",
        "report/retention_cohort_report_views.xml",
        "views/retention_dashboard_views.xml",
        "views/retention_analytics_menus.xml",
        "views/retention_feedback_views.xml",
        "views/retention_feedback_templates.xml",
        "views/res_partner_feedback_views.xml",
        "views/project_project_feedback_views.xml",
        "views/retention_review_feedback_views.xml",
        "views/retention_feedback_menus.xml",
    ],
    "demo": [
        "demo/customer_retention_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "customer_retention/static/src/dashboard/*",
        ],
        "web.assets_tests": [
            "customer_retention/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "installable": True,
}
