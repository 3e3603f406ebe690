/** @odoo-module **/

import { addRetentionMenuTour } from "@customer_retention/../tests/tours/retention_tour_utils";

/**
 * An account review end to end: Retention > Reviews > Reviews, open the planned review,
 * complete it with the outcome "Renew", see it done; then the kanban by state and the
 * calendar.
 */
addRetentionMenuTour(
    "customer_retention_review_tour",
    ["customer_retention_menu_reviews", "retention_review_menu"],
    () => [
        {
            content: "Open the planned review of the customer",
            trigger:
                '.o_list_view .o_data_row:contains("Tour Review Customer") .o_data_cell[name="partner_id"]',
            run: "click",
        },
        {
            content: "The review is planned",
            trigger: '.o_statusbar_status .o_arrow_button_current:contains("Planned")',
        },
        {
            content: "Complete it",
            trigger: '.o_form_view button[name="action_open_complete_wizard"]',
            run: "click",
        },
        {
            content: "Choose the outcome Renew",
            trigger: '.modal .o_field_widget[name="outcome"] input[data-value="renew"]',
            run: "click",
        },
        {
            content: "Confirm",
            trigger: '.modal button[name="action_confirm"]',
            run: "click",
        },
        {
            content: "The review is done, with its outcome",
            trigger:
                '.o_form_view:not(:has(.modal)) .o_statusbar_status .o_arrow_button_current:contains("Done")',
        },
        {
            content: "The outcome is shown",
            trigger: '.o_form_view .o_field_widget[name="outcome"]:contains("Renew")',
        },
        {
            content: "Back to the reviews",
            trigger: '.o_breadcrumb .breadcrumb-item a:contains("Reviews")',
            run: "click",
        },
        {
            content: "Switch to the kanban",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "The review sits in the Done column",
            trigger:
                '.o_kanban_group:has(.o_column_title:contains("Done")) .o_kanban_record:contains("Tour Review Customer")',
        },
        {
            content: "Switch to the calendar",
            trigger: ".o_switch_view.o_calendar",
            run: "click",
        },
        {
            content: "The review is on its date",
            trigger: '.o_calendar_renderer .fc-event:contains("Tour Review Customer")',
        },
    ],
);
