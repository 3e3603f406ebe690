/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openRetentionApp } from "@customer_retention/../tests/tours/retention_tour_utils";

/**
 * The Customers screen: kanban by stage, list with the "At Risk" filter,
 * then the partner's Retention tab explaining the health score, its history and Compare months.
 */
registry.category("web_tour.tours").add("customer_retention_customers_tour", {
    url: "/odoo",
    steps: () => [
        ...openRetentionApp(),
        {
            content: "Go to the customers",
            trigger:
                '.o_main_navbar [data-menu-xmlid="customer_retention.customer_retention_menu_customers"]',
            run: "click",
        },
        {
            trigger: '.dropdown-item[data-menu-xmlid="customer_retention.res_partner_menu_customers"]',
            run: "click",
        },
        {
            content: "Customers are shown in kanban, one column per stage",
            trigger:
                '.o_kanban_group:has(.o_column_title:contains("At Risk")) .o_kanban_record:contains("Tour Risky Ltd")',
        },
        {
            content: "The healthy customer sits in another column",
            trigger:
                '.o_kanban_group:has(.o_column_title:contains("Active")) .o_kanban_record:contains("Tour Steady LLC")',
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            trigger: '.o_list_view .o_data_row:contains("Tour Steady LLC")',
        },
        {
            content: "Open the filters",
            trigger: ".o_control_panel_actions .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter the customers at risk",
            trigger: '.o_filter_menu .dropdown-item:contains("At Risk")',
            run: "click",
        },
        {
            content: "Close the filters",
            trigger: ".o_control_panel_actions .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Only the customer at risk is left",
            trigger:
                '.o_list_view:not(:has(.o_data_row:contains("Tour Steady LLC"))) .o_data_row:contains("Tour Risky Ltd")',
        },
        {
            content: "Open the customer",
            trigger: '.o_data_row:contains("Tour Risky Ltd") .o_data_cell[name="display_name"]',
            run: "click",
        },
        {
            content: "Open the Retention tab",
            trigger: '.o_form_view .o_notebook .nav-link:contains("Retention")',
            run: "click",
        },
        {
            content: "The health score is explained factor by factor",
            trigger: '.o_retention_factors:contains("Recency of purchase"):contains("Payment behaviour")',
        },
        {
            content: "The stage is shown",
            trigger: '.o_field_widget[name="retention_stage"]:contains("At Risk")',
        },
        {
            content: "The health of the last months is drawn over the stage bands",
            trigger: ".o_retention_health_history circle",
        },
        {
            content: "Why it moved between the last two months",
            trigger: '.o_retention_health_moved:contains("From"):has(li)',
        },
        {
            content: "Compare other months",
            trigger: 'button[name="action_retention_compare_months"]',
            run: "click",
        },
        {
            content: "The dialog lists the months with a score, the last two chosen",
            trigger: '.modal .o_field_widget[name="month_from"] select:has(option:contains("20"))',
        },
        {
            content: "and says why the score moved between them",
            trigger: '.modal .o_retention_health_moved:contains("From"):has(li)',
        },
        {
            content: "Close the dialog",
            trigger: '.modal .modal-footer button:contains("Close")',
            run: "click",
        },
        {
            content: "Back on the customer",
            trigger: 'body:not(:has(.modal)) .o_retention_health_history',
        },
    ],
});
