/** @odoo-module **/

import { registry } from "@web/core/registry";
import {
    openRetentionDashboard,
    openRetentionMenu,
} from "@customer_retention/../tests/tours/retention_tour_utils";

/**
 * The Retention dashboard (Retention > Dashboard); a headline figure opens the customers behind it;
 * the Cohorts analysis shows cohorts by month of first invoice.
 */
registry.category("web_tour.tours").add("customer_retention_analytics_tour", {
    url: "/odoo",
    steps: () => [
        ...openRetentionDashboard(),
        {
            content: "The dashboard shows the headline figures",
            trigger: ".o_retention_dashboard .o_retention_kpi_customer_retention_rate .o_retention_kpi_value",
        },
        {
            content: "Look at quarters",
            trigger: '.o_retention_periods button[data-period="quarter"]',
            run: "click",
        },
        {
            content: "The quarter is selected",
            trigger: '.o_retention_periods button.btn-primary[data-period="quarter"]',
        },
        {
            content: "The customer at risk is listed",
            trigger: '.o_retention_at_risk li:contains("Tour Analytics Risky")',
        },
        {
            content: "The chart says what its two numbers are: retention above, NRR below",
            trigger: '.o_retention_curve_legend:contains("NRR")',
        },
        {
            content: "The second number of a bar is labelled NRR",
            trigger: '.o_retention_curve_nrr:contains("NRR")',
        },
        {
            content: "Open the active customers behind the figure",
            trigger: ".o_retention_kpi_customers_end",
            run: "click",
        },
        {
            content: "The customers behind the figure are listed",
            trigger: '.o_list_view .o_data_row:contains("Tour Analytics Steady")',
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item a",
            run: "click",
        },
        {
            trigger: ".o_retention_dashboard .o_retention_kpis",
        },
        ...openRetentionMenu("customer_retention_menu_analysis", "retention_cohort_report_menu"),
        {
            content: "Cohorts are rows, periods since the first invoice are columns",
            trigger: ".o_pivot .o_pivot_header_cell_opened, .o_pivot th.o_pivot_header_cell_opened",
        },
        {
            content: "The share of customers invoiced in the period is shown",
            trigger: '.o_pivot th:contains("Invoiced in Period (%)")',
        },
        {
            content: "The share of customers still active is shown",
            trigger: '.o_pivot th:contains("Still Active (%)")',
        },
    ],
});

/**
 * An account manager without invoicing rights sees the customers at risk, without amounts.
 */
registry.category("web_tour.tours").add("customer_retention_dashboard_no_money_tour", {
    url: "/odoo",
    steps: () => [
        ...openRetentionDashboard(),
        {
            content: "The at-risk panel is shown, named for customers, not revenue",
            trigger: '.o_retention_at_risk .card-header:contains("Customers at risk")',
        },
        {
            content: "The customer at risk is listed with its health score",
            trigger: '.o_retention_at_risk li:contains("Tour Analytics Risky") .badge',
        },
        {
            content: "No amount in the panel, no NRR in the chart",
            trigger:
                ".o_retention_dashboard:not(:has(.o_retention_at_risk_total)):not(:has(.o_retention_curve_nrr))",
        },
    ],
});
