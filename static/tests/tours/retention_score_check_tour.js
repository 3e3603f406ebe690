/** @odoo-module **/

import { registry } from "@web/core/registry";
import {
    openRetentionApp,
    openRetentionMenu,
} from "@customer_retention/../tests/tours/retention_tour_utils";

/**
 * Score Check: the verdict, the churn rate by band (a band opens its customer-months), the AUC
 * of the score and of each factor, then the calibration: preview, apply, the earlier weights
 * kept and restored.
 */
registry.category("web_tour.tours").add("customer_retention_score_check_tour", {
    url: "/odoo",
    steps: () => [
        ...openRetentionApp(),
        ...openRetentionMenu("customer_retention_menu_analysis", "retention_backtest_menu"),
        {
            content: "The verdict compares the low and the high scores",
            trigger: '.o_retention_verdict_text:contains("times as often")',
        },
        {
            content: "The score ranks churners better than chance",
            trigger: ".o_retention_auc_value.text-success, .o_retention_auc_value.text-warning",
        },
        {
            content: "Each factor has its AUC and coverage",
            trigger: '.o_retention_factor_auc tr[data-factor="engagement"] td:contains("100 %")',
        },
        {
            content: "Open the customer-months of the lowest band",
            trigger: ".o_retention_band_0 .o_retention_band_customers",
            run: "click",
        },
        {
            content: "They are the snapshot rows of those customers",
            trigger: '.o_list_view .o_data_row:contains("Tour Score Customer")',
        },
        {
            content: "Back to Score Check",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item a",
            run: "click",
        },
        {
            content: "Preview the suggested weights",
            trigger: ".o_retention_calibration button.o_retention_preview",
            run: "click",
        },
        {
            content: "The preview says how many customers would change stage",
            trigger: '.o_retention_preview_result:contains("would change stage")',
        },
        {
            content: "Apply them",
            trigger: ".o_retention_calibration button.o_retention_apply:enabled",
            run: "click",
        },
        {
            content: "The weights in force before are kept, and can be restored",
            trigger: ".o_retention_weight_sets button.o_retention_restore",
            run: "click",
        },
        {
            content: "The restored weights are in force again",
            trigger: ".o_retention_weight_sets tr:first-child .badge.text-bg-success",
        },
    ],
});
