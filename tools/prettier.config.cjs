// Prettier settings for `make lint` (XML only), passed with --config by .pre-commit-config.yaml.
// require.resolve finds the plugin in pre-commit's node environment (through NODE_PATH), which
// a bare "--plugin=@prettier/plugin-xml" does not with Prettier 3.
module.exports = {
    plugins: [require.resolve("@prettier/plugin-xml")],
    printWidth: 100,
    tabWidth: 4,
    // "strict": every text node is kept as written, white space included; only the layout of
    // tags and attributes changes. "ignore" reflowed text: it changed field values (a mail
    // template's subject, a follow-up rule's customer filter, "&lt;p&gt;" inside a note) and
    // the translation terms of views and pages; "preserve" re-indents the HTML of templates.
    xmlWhitespaceSensitivity: "strict",
    bracketSameLine: true,
};
