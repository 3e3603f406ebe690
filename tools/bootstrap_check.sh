#!/usr/bin/env bash
# make bootstrap-check: the newcomer's path, checked before each release. Installs Odoo 18.0
# with tools/bootstrap_odoo.sh into a FRESH virtual environment (a temporary folder, not .venv),
# from ODOO_SOURCE (a local source tree or archive; default Odoo's official 18.0 archive), then
# installs the module with demo data from that environment in a throwaway database and checks
# it ends up installed, as `make demo` would before serving it.
#   ODOO_SOURCE=/path/to/odoo-18.0 make bootstrap-check
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"
check_postgres

VENV="$(mktemp -d)/venv"
DB="${MODULE}_bootstrap_$$"
trap 'drop_db "$DB" >/dev/null 2>&1 || true; rm -rf "$(dirname "$VENV")"' EXIT
start=$SECONDS
bash "$REPO_ROOT/tools/bootstrap_odoo.sh" "$VENV"
say "bootstrap done in $((SECONDS - start)) s; installing $MODULE with demo data in $DB"
ODOO_PYTHON="$VENV/bin/python"
prepare_build
mkdir -p "$BUILD_DIR/logs"
install_module "$DB" "$BUILD_DIR/logs/bootstrap_install.log" \
    || die "the module did not install with the bootstrapped Odoo (log: $BUILD_DIR/logs/bootstrap_install.log)"
echo "BOOTSTRAP_CHECK ok: Odoo $("$ODOO_PYTHON" -c 'import odoo.release; print(odoo.release.version)') from ${ODOO_SOURCE:-the official archive}, module installed with demo data in $((SECONDS - start)) s"
