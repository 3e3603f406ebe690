#!/usr/bin/env bash
# make workers-check: the module's scheduled jobs in a multi-worker Odoo (issue #21).
# Installs the module with its demo data in a fresh database, then tools/workers_check.py
# serves it with Odoo in prefork mode (--workers=2 --max-cron-threads=2, on 127.0.0.1 only, free
# ports), makes every job of the module due at once, several rounds, lets the real cron workers
# run them and checks nothing was made twice, every queued customer was done once and progress
# was reported. Bounded in time; the server is stopped and the database dropped at the end.
# Env: WORKERS_DB (default customer_retention_workers_<pid>), WORKERS_ROUNDS (3),
#      WORKERS_TIMEOUT (seconds for all rounds, 900), KEEP_DB=1 keeps the database.
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"
check_odoo
check_postgres
prepare_build

DB="${WORKERS_DB:-${MODULE}_workers_$$}"
LOGS="$BUILD_DIR/logs"
cleanup() {
    if [ "${KEEP_DB:-0}" = 1 ]; then
        say "KEEP_DB=1: kept database $DB"
    else
        drop_db "$DB" >/dev/null 2>&1 || say "could not drop $DB"
    fi
}
trap cleanup EXIT
start=$SECONDS
drop_db "$DB" || die "cannot drop the leftover database $DB"
rm -f "$LOGS/workers_install.log" "$LOGS/workers_install.log.stderr" "$LOGS/workers_server.log"
say "installing $MODULE with demo data in $DB (log: $LOGS/workers_install.log)"
install_module "$DB" "$LOGS/workers_install.log" \
    || { tail -n 30 "$LOGS/workers_install.log" >&2 || true; die "WORKERS_CHECK FAILED: install"; }
say "installed in $((SECONDS - start)) s"
timeout --kill-after=60 "$(( ${WORKERS_TIMEOUT:-900} + 300 ))" \
    "$ODOO_PYTHON" "$REPO_ROOT/tools/workers_check.py" --db "$DB" --conf "$ODOO_CONF" \
    --python "$ODOO_PYTHON" --log "$LOGS/workers_server.log" \
    --rounds "${WORKERS_ROUNDS:-3}" --timeout "${WORKERS_TIMEOUT:-900}" \
    || die "WORKERS_CHECK FAILED (above; server log: $LOGS/workers_server.log)"
