#!/usr/bin/env bash
# Regenerate i18n/customer_retention.pot from the sources, then merge it into ka.po and uz.po
# (new entries empty, obsolete ones dropped) and list what is left to translate:
#   bash tools/i18n_export.sh
# Installs the module in a throwaway database (without demo data), exports the template with
# Odoo's own exporter and drops the database. Odoo's export walks the module folder following
# symbolic links, and .build/ holds a link back to the repository: so the export runs on a
# private copy of the sources without .build/, .git/ and .venv/.
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"
check_odoo
check_postgres
prepare_build

DB="${MODULE}_i18n_$$"
EXPORT_ADDONS="$(mktemp -d)"
CONF="$EXPORT_ADDONS/odoo.conf"
trap 'drop_db "$DB" >/dev/null 2>&1 || true; rm -rf "$EXPORT_ADDONS"' EXIT
mkdir "$EXPORT_ADDONS/$MODULE"
tar -C "$REPO_ROOT" --exclude=./.build --exclude=./.git --exclude=./.venv -cf - . \
    | tar -C "$EXPORT_ADDONS/$MODULE" -xf -
sed "s#,$ADDONS_DIR\$#,$EXPORT_ADDONS#" "$ODOO_CONF" >"$CONF"
grep -q "$EXPORT_ADDONS" "$CONF" || die "could not point the export config at $EXPORT_ADDONS"

say "installing $MODULE in $DB"
odoo_bin -c "$CONF" -d "$DB" -i "$MODULE" --without-demo=all --stop-after-init --no-http \
    --max-cron-threads=0 --logfile "$BUILD_DIR/logs/i18n_install.log" \
    || die "install failed (log: $BUILD_DIR/logs/i18n_install.log)"
say "exporting the template"
odoo_bin -c "$CONF" -d "$DB" --i18n-export="$EXPORT_ADDONS/$MODULE.pot" --modules="$MODULE" \
    --stop-after-init --no-http --max-cron-threads=0 --logfile "$BUILD_DIR/logs/i18n_export.log"
cp "$EXPORT_ADDONS/$MODULE.pot" "$REPO_ROOT/i18n/$MODULE.pot"
"$ODOO_PYTHON" "$REPO_ROOT/tools/i18n_check.py" --merge || true
