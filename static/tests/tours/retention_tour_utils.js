/** @odoo-module **/

import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * The steps every back-office tour of the module starts with: from the home menu, open the
 * Retention app (it opens on its dashboard).
 */
export function openRetentionApp() {
    return [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Retention app",
            trigger: '.o_app[data-menu-xmlid="customer_retention.customer_retention_menu_root"]',
            run: "click",
        },
    ];
}
