/** @odoo-module **/

import { registry } from "@web/core/registry";
import { openRetentionApp } from "@customer_retention/../tests/tours/retention_tour_utils";

/**
 * The cockpit: the Retention app opens on My Customers, the customer at risk with its reason in
 * words, its open case; open the customer from its line.
 */
registry.category("web_tour.tours").add("customer_retention_cockpit_tour", {
    url: "/odoo",
    steps: () => [
        // the app's first screen is My Customers (checked by openRetentionApp)
        ...openRetentionApp(),
        {
            content: "The customer at risk, with the reason in words",
            trigger:
                ".o_retention_cockpit_at_risk .o_retention_cockpit_line:contains(Batumi Port Logistics):contains(no contact for 75 days)",
        },
        {
            content: "Its open risk case",
            trigger: ".o_retention_cockpit_risk_cases .o_retention_cockpit_line:contains(Batumi Port Logistics)",
        },
        {
            content: "Open the customer",
            trigger: ".o_retention_cockpit_at_risk .o_retention_cockpit_open:contains(Batumi Port Logistics)",
            run: "click",
        },
        {
            content: "The customer's form",
            trigger: ".o_form_view .o_field_widget[name='name'] input:value(Batumi Port Logistics), .o_form_view:contains(Batumi Port Logistics)",
        },
    ],
});
