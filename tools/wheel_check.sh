#!/usr/bin/env bash
# make wheel-check: the module packaged like the OCA addons (issue #21), checked end to end.
#  1. builds the wheel with whool (pyproject.toml's build backend): `pip wheel --no-deps` on a
#     copy of the files under git control (as they are in the work tree) in a folder named
#     customer_retention, since whool names the distribution after the addon's folder;
#  2. checks its name and version: odoo-addon-customer_retention, the manifest's version;
#  3. installs it into a fresh virtual environment that sees the Odoo interpreter's packages
#     (venv --system-site-packages; where venv is missing, into the Odoo interpreter's own
#     environment, uninstalled again at the end) and checks the addon lands in
#     site-packages/odoo/addons/customer_retention;
#  4. installs the module from it into a fresh database with an Odoo configuration whose
#     addons_path does NOT name the checkout, and checks Odoo loaded it from the wheel.
# Everything it made (folder, environment, database) is removed at the end, even on failure,
# so the tests that follow run on the checkout.
# Env: WHEEL_DB (default customer_retention_wheel_<pid>), KEEP_WHEEL=DIR copies the wheel there.
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"
check_odoo
check_postgres
prepare_build

WORK="$(mktemp -d "${TMPDIR:-/tmp}/${MODULE}_wheel.XXXXXX")"
DB="${WHEEL_DB:-${MODULE}_wheel_$$}"
LOG="$BUILD_DIR/logs/wheel_install.log"
VENV="$WORK/venv"
PY=""
uninstall_from_odoo_env=0
cleanup() {
    if [ "$uninstall_from_odoo_env" = 1 ]; then
        "$ODOO_PYTHON" -m pip uninstall -q -y "odoo-addon-$MODULE" || true
    fi
    PGOPTIONS="--client-min-messages=warning" dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { die "WHEEL_CHECK FAILED: $*"; }
start=$SECONDS

# 1. The wheel, from the files under git control (the work tree's content) in a folder named
# after the addon: whool reads the addon's name from the folder and, outside git, packs it all.
src="$WORK/src/$MODULE"
mkdir -p "$src"
(cd "$REPO_ROOT" && git ls-files -z | tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$src" \
    || fail "could not copy the files under git control to $src"
say "building the wheel with whool (pip wheel --no-deps; whool comes from the package index)"
"$ODOO_PYTHON" -m pip wheel -q --no-deps --wheel-dir "$WORK/dist" "$src" >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; fail "pip wheel did not build the addon"; }

# 2. Name and version.
version="$("$ODOO_PYTHON" -c 'import ast, sys; print(ast.literal_eval(open(sys.argv[1]).read())["version"])' \
    "$REPO_ROOT/__manifest__.py")"
wheel="$WORK/dist/odoo_addon_${MODULE}-${version}-py3-none-any.whl"
[ -f "$wheel" ] || fail "expected $(basename "$wheel") (the manifest's version $version), built: $(ls "$WORK/dist")"
say "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) kB)"
[ -z "${KEEP_WHEEL:-}" ] || { mkdir -p "$KEEP_WHEEL" && cp "$wheel" "$KEEP_WHEEL/"; }

# 3. Installed next to Odoo.
if "$ODOO_PYTHON" -m venv --system-site-packages "$VENV" >/dev/null 2>&1 && [ -x "$VENV/bin/python" ]; then
    PY="$VENV/bin/python"
    say "installing the wheel into a fresh venv with the Odoo interpreter's packages ($VENV)"
    # An Odoo installed with `pip install -e` (setuptools' editable finder, not a sys.path entry)
    # loses to the wheel's odoo/ folder, a bare namespace portion: put Odoo's source folder on
    # the venv's path, as `pip install -e --config-settings editable_mode=compat` would.
    odoo_root="$("$ODOO_PYTHON" -c 'import os, sys, odoo
root = os.path.dirname(odoo.__path__[0])
print("" if root in [os.path.abspath(p or ".") for p in sys.path] else root)')"
    if [ -n "$odoo_root" ]; then
        venv_site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
        echo "$odoo_root" >"$venv_site/odoo_source_path.pth"
        say "Odoo is an editable install: $odoo_root put on the venv's path (odoo_source_path.pth)"
    fi
else
    PY="$ODOO_PYTHON"
    say "venv is not available for $ODOO_PYTHON: installing the wheel into its own environment"
    "$PY" -m pip show -q "odoo-addon-$MODULE" >/dev/null 2>&1 \
        && fail "odoo-addon-$MODULE is already installed in $ODOO_PYTHON's environment: uninstall it first"
    uninstall_from_odoo_env=1
fi
# Its one requirement, odoo==18.0.*, is the Odoo already installed: nothing else is fetched.
"$PY" -m pip install -q "$wheel" >"$WORK/install.log" 2>&1 \
    || { cat "$WORK/install.log" >&2; fail "pip install of the wheel failed"; }
site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
[ -f "$site/odoo/addons/$MODULE/__manifest__.py" ] \
    || fail "the wheel did not install the addon at $site/odoo/addons/$MODULE"

# 4. Odoo installs the module from the wheel: a configuration without the checkout.
conf="$WORK/odoo.conf"
default_path="$("$PY" -c 'from odoo.tools import config
config.parse_config([], setup_logging=False)
print(config["addons_path"])' 2>/dev/null | tail -n 1)" || fail "could not read Odoo's addons path"
case ",$default_path," in
*"$REPO_ROOT"* | *"$ADDONS_DIR"*) fail "Odoo's default addons path names the checkout: $default_path" ;;
esac
{
    echo "[options]"
    echo "addons_path = $default_path"
    echo "data_dir = $WORK/data"
    echo "db_user = $DB_USER"
    [ -z "${PGHOST:-}" ] || echo "db_host = $PGHOST"
    [ -z "${PGPORT:-}" ] || echo "db_port = $PGPORT"
} >"$conf"
found="$("$PY" -c 'import sys
from odoo.tools import config
config.parse_config(["-c", sys.argv[1]], setup_logging=False)
from odoo.modules.module import get_module_path, initialize_sys_path
initialize_sys_path()
print(get_module_path(sys.argv[2]) or "")' "$conf" "$MODULE" 2>/dev/null | tail -n 1)"
[ "$(cd "$found" 2>/dev/null && pwd -P)" = "$(cd "$site/odoo/addons/$MODULE" && pwd -P)" ] \
    || fail "Odoo finds $MODULE at '${found:-nowhere}', not in the wheel's $site/odoo/addons/$MODULE"
drop_db "$DB" || fail "cannot drop the leftover database $DB"
rm -f "$LOG" "$LOG.stderr"
say "installing $MODULE from the wheel into the fresh database $DB (log: $LOG)"
rc=0
"$PY" -m odoo -c "$conf" -d "$DB" -i "$MODULE" --without-demo=all --stop-after-init --no-http \
    --max-cron-threads=0 --logfile "$LOG" 2>>"$LOG.stderr" || rc=$?
state="$(psql -X -d "$DB" -Atc "SELECT state || ' ' || latest_version FROM ir_module_module WHERE name = '$MODULE'" 2>/dev/null || true)"
[ "$rc" = 0 ] && [ "$state" = "installed $version" ] \
    || { tail -n 30 "$LOG" "$LOG.stderr" >&2 || true; fail "Odoo exit $rc, module '${state:-absent}' in $DB (log: $LOG)"; }
echo "WHEEL_CHECK ok: $(basename "$wheel") installed at $site/odoo/addons/$MODULE; Odoo installed" \
    "$MODULE $version from it into $DB without the checkout on its addons path ($((SECONDS - start)) s)"
