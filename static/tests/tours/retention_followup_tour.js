/** @odoo-module **/

import { addRetentionMenuTour } from "@customer_retention/../tests/tours/retention_tour_utils";

/**
 * A follow-up rule end to end: Retention > Configuration > Follow-up Rules, create "no
 * contact for 30 days" with an activity for the account manager, read its summary, run it
 * now, then open its log and see it fired on the customer.
 */
addRetentionMenuTour(
    "customer_retention_followup_tour",
    ["customer_retention_menu_config", "retention_followup_rule_menu"],
    () => [
        {
            content: "Create a rule",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: '.o_form_view .o_field_widget[name="name"] input',
            run: "edit Tour: call silent customers",
        },
        {
            content: "Trigger: no contact for N days",
            trigger: '.o_form_view .o_field_widget[name="trigger"] select',
            run: 'select "no_contact"',
        },
        {
            content: "N = 30 days",
            trigger: '.o_form_view .o_field_widget[name="days"] input',
            run: "edit 30",
        },
        {
            content: "Add an action",
            trigger:
                '.o_form_view .o_field_widget[name="action_ids"] .o_field_x2many_list_row_add a',
            run: "click",
        },
        {
            content: "Activity type: To-Do",
            trigger: '.modal .o_field_widget[name="activity_type_id"] input',
            run: "edit To-Do",
        },
        {
            content: "Pick To-Do",
            trigger:
                '.modal .o_field_widget[name="activity_type_id"] .dropdown-item:contains("To-Do")',
            run: "click",
        },
        {
            content: "Summary of the activity",
            trigger: '.modal .o_field_widget[name="summary"] input',
            run: "edit Call them",
        },
        {
            content: "Save the action",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The summary says what the rule does",
            trigger:
                '.o_form_view .o_followup_summary:contains("no contact with a customer for 30 days"):contains("Call them")',
        },
        {
            content: "Save the rule",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Run it now",
            trigger: '.o_form_view .o_form_saved button[name="action_run_now"]',
            run: "click",
        },
        {
            content: "It fired once",
            trigger: '.o_form_view button[name="action_view_logs"] .o_stat_value:contains("1")',
        },
        {
            content: "Open the log",
            trigger:
                '.o_form_view button[name="action_view_logs"]:has(.o_stat_value:contains("1"))',
            run: "click",
        },
        {
            content: "The log shows it fired on the customer and is done",
            trigger:
                '.o_list_view .o_data_row:contains("Tour Silent Customer") .o_data_cell[name="state"]:contains("Done")',
        },
    ],
);
