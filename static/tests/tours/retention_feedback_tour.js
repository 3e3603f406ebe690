/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A customer answers a feedback request on the public page, without logging in: picks a
 * score, writes a comment, sends it and is thanked. Started on the page of a token.
 */
registry.category("web_tour.tours").add("customer_retention_feedback_tour", {
    steps: () => [
        {
            content: "The question is shown with the company's branding",
            trigger: ".o_retention_feedback_brand img",
        },
        {
            content: "Pick the score 9",
            trigger: "label.o_retention_feedback_score.o_score_9",
            run: "click",
        },
        {
            content: "Write a comment",
            trigger: "textarea[name=comment]",
            run: "edit Great project team, thank you!",
        },
        {
            content: "Send the answer",
            trigger: "button.o_retention_feedback_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The customer is thanked",
            trigger: ".o_retention_feedback_thanks:contains(Thank you for your feedback)",
        },
    ],
});
