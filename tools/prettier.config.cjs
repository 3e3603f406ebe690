// Prettier settings for `make lint` (XML only), passed with --config by .pre-commit-config.yaml.
// require.resolve finds the plugin in pre-commit's node environment (through NODE_PATH), which
// a bare "--plugin=@prettier/plugin-xml" does not with Prettier 3.
module.exports = {
    plugins: [require.resolve("@prettier/plugin-xml")],
    printWidth: 100,
    tabWidth: 4,
    xmlWhitespaceSensitivity: "ignore",
    bracketSameLine: true,
};
