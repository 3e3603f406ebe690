# shellcheck shell=bash
# Shared helpers for the customer_retention developer scripts. Source it, do not run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"
#
# Odoo is located like an administrator would: an interpreter that can `import odoo`
# (ODOO_PYTHON; else python3; else the repository's .venv). When none can and ODOO_PYTHON was
# not given, check_odoo installs Odoo 18.0 into .venv with tools/bootstrap_odoo.sh (from
# ODOO_SOURCE, default Odoo's official 18.0 source archive) - except under CI, which uses the
# Odoo installed on the machine and fails loudly without one.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
MODULE=customer_retention
BUILD_DIR="$REPO_ROOT/.build"
# pytest-odoo and Odoo both need the addon in a folder named after the module, whatever the
# clone is called: a symlink in a private addons folder gives it that name.
ADDONS_DIR="$BUILD_DIR/addons"
ADDON_LINK="$ADDONS_DIR/$MODULE"
ODOO_CONF="$BUILD_DIR/odoo.conf"
DATA_DIR="$BUILD_DIR/data"
ODOO_PYTHON_GIVEN="${ODOO_PYTHON:-}"
ODOO_PYTHON="${ODOO_PYTHON:-python3}"
VENV_DIR="$REPO_ROOT/.venv"
DB_USER="${PGUSER:-$(id -un)}"

say() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

odoo_importable() {
    "$1" -c 'import odoo, odoo.release; assert odoo.release.version_info[0] == 18' >/dev/null 2>&1
}

in_ci() { case "${CI:-}" in "" | false | 0) return 1 ;; *) return 0 ;; esac; }

# Odoo 18 importable? Without ODOO_PYTHON: python3, else .venv, else (outside CI) install it
# into .venv. With ODOO_PYTHON, or under CI: explain what to install instead of a traceback.
check_odoo() {
    if [ -z "$ODOO_PYTHON_GIVEN" ] && ! odoo_importable "$ODOO_PYTHON"; then
        if odoo_importable "$VENV_DIR/bin/python"; then
            ODOO_PYTHON="$VENV_DIR/bin/python"
        elif ! in_ci; then
            local source="${ODOO_SOURCE:-the official Odoo 18.0 source archive}"
            say "Odoo 18.0 is not importable with python3: installing it into $VENV_DIR
    from $source (set ODOO_SOURCE to a local source tree or archive, or ODOO_PYTHON to an
    interpreter that has Odoo, to avoid this)"
            bash "$REPO_ROOT/tools/bootstrap_odoo.sh" "$VENV_DIR" || die "the Odoo bootstrap failed (above)"
            ODOO_PYTHON="$VENV_DIR/bin/python"
            "$ODOO_PYTHON" -m pip install -q -r "$REPO_ROOT/requirements-test.txt" \
                || die "installing the test tools (requirements-test.txt) into $VENV_DIR failed"
        fi
    fi
    export ODOO_PYTHON
    command -v "$ODOO_PYTHON" >/dev/null 2>&1 || die "Python interpreter '$ODOO_PYTHON' not found.
  Set ODOO_PYTHON to the interpreter that has Odoo 18.0 installed."
    if ! "$ODOO_PYTHON" -c 'import odoo, odoo.release; assert odoo.release.version_info[0] == 18' \
        >/dev/null 2>&1; then
        local found
        found="$("$ODOO_PYTHON" -c 'import odoo.release; print(odoo.release.version)' 2>/dev/null \
            || echo 'not installed')"
        die "Odoo 18.0 is not importable with '$ODOO_PYTHON' (found: $found).
  Install Odoo 18.0 Community for this interpreter, e.g. from its source tree:
      $ODOO_PYTHON -m pip install -r /path/to/odoo/requirements.txt
      $ODOO_PYTHON -m pip install -e /path/to/odoo
  or point ODOO_PYTHON at an interpreter that already has it:
      ODOO_PYTHON=/path/to/venv/bin/python make test
  or let make install it into .venv (not under CI): unset ODOO_PYTHON, optionally with
      ODOO_SOURCE=/path/to/odoo-18.0-source-tree-or-archive make demo"
    fi
}

# PostgreSQL must answer with a role Odoo accepts (libpq honours PGHOST/PGPORT/PGUSER).
check_postgres() {
    [ "$DB_USER" != postgres ] || die "Odoo refuses to run as the 'postgres' role: set PGUSER to
  another superuser-ish role (createuser -s $(id -un))."
    command -v psql >/dev/null 2>&1 || die "psql not found: install the PostgreSQL client and server
  (Debian/Ubuntu: apt-get install postgresql), version 12 or later."
    if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q; then
        die "PostgreSQL does not answer on ${PGHOST:-the local socket}:${PGPORT:-5432}.
  Start it (Debian/Ubuntu: pg_ctlcluster <version> main start, or: service postgresql start)
  or set PGHOST/PGPORT to a running server."
    fi
    psql -X -q -d postgres -U "$DB_USER" -Atc 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL answers, but role
  '$DB_USER' cannot connect to its database 'postgres'. Create the role:
      su postgres -c 'createuser -s $DB_USER'
  or set PGUSER/PGPASSWORD to a role that can create databases."
}

# The addon symlink and the single Odoo config shared by install, server and tests (assets are
# stored under data_dir: a second config with another data_dir breaks browser tests).
prepare_build() {
    mkdir -p "$ADDONS_DIR" "$DATA_DIR" "$BUILD_DIR/logs"
    ln -sfn "$REPO_ROOT" "$ADDON_LINK"
    local default_path
    default_path="$("$ODOO_PYTHON" -c 'from odoo.tools import config
config.parse_config([], setup_logging=False)
print(config["addons_path"])' 2>/dev/null | tail -n 1)" || die "could not read Odoo's addons path"
    {
        echo "; Generated by tools/odoo_env.sh, rewritten on every run: do not edit."
        echo "[options]"
        echo "addons_path = $default_path,$ADDONS_DIR"
        echo "data_dir = $DATA_DIR"
        echo "db_user = $DB_USER"
        [ -z "${PGHOST:-}" ] || echo "db_host = $PGHOST"
        [ -z "${PGPORT:-}" ] || echo "db_port = $PGPORT"
        # PGPASSWORD, if any, is read by libpq from the environment: never written to disk.
        echo "list_db = True"
    } >"$ODOO_CONF"
}

odoo_bin() { "$ODOO_PYTHON" -m odoo "$@"; }

db_exists() {
    [ "$(psql -X -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}

# Drop a database and its filestore. Fails if a server still holds connections to it.
drop_db() {
    PGOPTIONS="--client-min-messages=warning" dropdb --if-exists "$1" && rm -rf "${DATA_DIR:?}/filestore/$1"
}

# install_module DB LOGFILE [extra odoo options...]: fresh install of the module, log in a file.
# Returns non-zero when Odoo fails or the module does not end up 'installed'.
install_module() {
    local db=$1 log=$2
    shift 2
    local rc=0
    odoo_bin -c "$ODOO_CONF" -d "$db" -i "$MODULE" --stop-after-init --no-http \
        --max-cron-threads=0 --logfile "$log" "$@" 2>>"$log.stderr" || rc=$?
    local state
    state="$(psql -X -d "$db" -Atc \
        "SELECT state FROM ir_module_module WHERE name = '$MODULE'" 2>/dev/null || true)"
    if [ "$rc" != 0 ] || [ "$state" != installed ]; then
        echo "install of $MODULE in $db failed (exit $rc, module state '${state:-none}');" \
            "log: $log" >&2
        return 1
    fi
}
