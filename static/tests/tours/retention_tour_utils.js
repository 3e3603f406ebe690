/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * The steps every back-office tour of the module starts with: from the home menu, open the
 * Retention app (it opens on My Customers, the account manager's cockpit).
 */
export function openRetentionApp() {
    return [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Retention app",
            trigger: '.o_app[data-menu-xmlid="customer_retention.customer_retention_menu_root"]',
            run: "click",
        },
        {
            content: "The app opens on My Customers",
            trigger: ".o_retention_cockpit",
        },
    ];
}

/**
 * Open the Retention app, then its dashboard (Retention > Dashboard).
 */
export function openRetentionDashboard() {
    return [
        ...openRetentionApp(),
        {
            content: "Open the dashboard",
            trigger: '.o_main_navbar [data-menu-xmlid="customer_retention.retention_dashboard_menu"]',
            run: "click",
        },
        {
            content: "The dashboard is shown",
            trigger: ".o_retention_dashboard",
        },
    ];
}

/**
 * The two clicks that open a menu item of the Retention app: its section in the top bar, then
 * the item in the section's dropdown (xml ids without the module prefix).
 */
export function openRetentionMenu(section, item) {
    return [
        {
            content: `Open the ${section} menu`,
            trigger: `.o_main_navbar [data-menu-xmlid="customer_retention.${section}"]`,
            run: "click",
        },
        {
            content: `Open ${item}`,
            trigger: `.dropdown-item[data-menu-xmlid="customer_retention.${item}"]`,
            run: "click",
        },
    ];
}

/**
 * Registers a tour of a Retention screen reached by a menu: it starts from the home menu,
 * opens the app, then the menu item (``[section, item]`` as for openRetentionMenu), then runs
 * ``steps``.
 */
export function addRetentionMenuTour(name, [section, item], steps) {
    registry.category("web_tour.tours").add(name, {
        url: "/odoo",
        steps: () => [...openRetentionApp(), ...openRetentionMenu(section, item), ...steps()],
    });
}
