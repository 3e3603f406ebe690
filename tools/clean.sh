#!/usr/bin/env bash
# make clean: drop the databases the test runner may have left behind (KEEP_DB=1, killed runs,
# the cached install templates) with their filestores, and the generated files in .build/.
# The demo database and its filestore are kept.
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"

check_postgres
for db in $(psql -X -d postgres -Atc "SELECT datname FROM pg_database
        WHERE datname LIKE '${MODULE}\_test\_%' OR datname LIKE '${MODULE}\_tpl\_%'"); do
    say "dropping $db"
    drop_db "$db" || say "could not drop $db (still in use?)"
done
rm -rf "$BUILD_DIR/logs" "$BUILD_DIR/cache" "$DATA_DIR/filestore/${MODULE}_test_"* \
    "$DATA_DIR/filestore/${MODULE}_tpl_"*
