#!/usr/bin/env bash
# make load-test: account managers at work while every job of the module runs (issue #21).
# tools/load_test.py prepares a database that has the module (LOAD_DB: the benchmark database,
# or a clone of it; never dropped), serves it with Odoo in prefork mode (--workers=2
# --max-cron-threads=2, 127.0.0.1 only, free ports), makes every job of the module due, runs
# Locust headless (tools/locustfile.py) for LOAD_TIME seconds, then checks in SQL that nothing
# was lost or made twice and prints requests/s, p50/p95 per request and errors.
# Locust is installed on first use into .build/locust-venv from requirements-load.txt (its
# gevent and Werkzeug differ from Odoo's), or taken from LOCUST (a locust command).
# Env: LOAD_DB (required), LOAD_USERS (20), LOAD_TIME (180 s), LOAD_WAIT ("1,3" s between two
#      actions), LOAD_ARGS (more tools/load_test.py options).
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"
check_odoo
check_postgres
prepare_build

DB="${LOAD_DB:-}"
[ -n "$DB" ] || die "LOAD_DB: the database to load (with the module and the benchmark's data), e.g.
  createdb -T bench_full bench_load && make load-test LOAD_DB=bench_load"
db_exists "$DB" || die "database $DB does not exist"

# gevent in Odoo's interpreter: the prefork server's longpolling process needs it; with a
# setuptools older than 70 its plugin lookup fails on the newest zope.interface wheels.
"$ODOO_PYTHON" -c "import gevent.monkey; gevent.monkey.patch_all()" >/dev/null 2>&1 \
    || die "gevent fails in $ODOO_PYTHON: $ODOO_PYTHON -m pip install -r requirements-test.txt
  (it pins zope.interface and zope.event to releases gevent's plugin lookup finds)"

LOCUST="${LOCUST:-}"
if [ -z "$LOCUST" ]; then
    VENV="$BUILD_DIR/locust-venv"
    LOCUST="$VENV/bin/locust"
    want="$(grep -E '^locust==' "$REPO_ROOT/requirements-load.txt" | cut -d= -f3)"
    if ! "$LOCUST" --version 2>/dev/null | grep -q " $want "; then
        say "installing Locust $want into $VENV (requirements-load.txt)"
        python3 -m venv "$VENV" || die "cannot create a venv in $VENV (python3 -m venv)"
        "$VENV/bin/python" -m pip install -q -r "$REPO_ROOT/requirements-load.txt" \
            || die "installing Locust into $VENV failed"
    fi
fi
"$LOCUST" --version >/dev/null || die "locust does not run: $LOCUST"

LOGS="$BUILD_DIR/logs"
TIME="${LOAD_TIME:-180}"
# a bound for everything: the load, the jobs' work after it (900 s), start and stop
# shellcheck disable=SC2086 # LOAD_ARGS holds several options
timeout --kill-after=60 "$((TIME + 1500))" \
    "$ODOO_PYTHON" "$REPO_ROOT/tools/load_test.py" --db "$DB" --conf "$ODOO_CONF" \
    --python "$ODOO_PYTHON" --log "$LOGS/load_server.log" --locust "$LOCUST" \
    --out "$BUILD_DIR/load_test" --users "${LOAD_USERS:-20}" --run-time "$TIME" \
    --wait "${LOAD_WAIT:-1,3}" ${LOAD_ARGS:-} \
    || die "LOAD_TEST FAILED (above; server log: $LOGS/load_server.log)"
