#!/usr/bin/env bash
# make test: the whole test suite on throwaway databases; exit status non-zero on any failure.
#   1. install customer_retention WITHOUT demo data; the install must log no warning/error of ours
#   2. (full runs) install it WITH demo data in a second database, same check, check the story
#      it tells (tools/demo_check.py), then uninstall it and check the database still works,
#      reinstall it; then upgrade a database of the previous release (tools/previous_release)
#      to these sources and check nothing was lost
#   3. pytest-odoo on the first database, with an HTTP server for the browser tours; a skipped
#      test (e.g. a tour without a browser) or no test at all is a failure
#   4. (full runs) the benchmark's smoke run (bench/retention_bench.py --smoke) on a copy of the
#      first database taken before the tests: small dataset, every path, data and figures
#      checked against Odoo's own computations; a non-zero exit is a failure
# The databases (and filestores) are dropped at the end, even on failure, unless KEEP_DB=1.
# Env: TEST_PATH (subset, relative to the repo: tests/test_x.py::TestY::test_z), PYTEST_ARGS,
#      DEMO_CHECK=0|1 (step 2; default 1, or 0 when TEST_PATH is set), KEEP_DB=1,
#      FRESH=1 (ignore the cached install of unchanged module sources; always on when CI is set),
#      BENCH_SMOKE=0|1 (step 4; default 1, or 0 when TEST_PATH is set).
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"

check_odoo
check_postgres
prepare_build

RUN_ID="$(date +%Y%m%d_%H%M%S)_$$"
DB="${MODULE}_test_$RUN_ID"
DEMO_DB="${DB}_demo"
LOGS="$BUILD_DIR/logs/test_$RUN_ID"
mkdir -p "$LOGS" "$BUILD_DIR/cache"
if [ -n "${TEST_PATH:-}" ]; then DEMO_CHECK="${DEMO_CHECK:-0}"; fi
DEMO_CHECK="${DEMO_CHECK:-1}"
if [ -n "${TEST_PATH:-}" ]; then BENCH_SMOKE="${BENCH_SMOKE:-0}"; fi
BENCH_SMOKE="${BENCH_SMOKE:-1}"
BENCH_SRC="${DB}_benchsrc"
BENCH_DB="${DB}_bench"
TEST_PATH="${TEST_PATH:-tests}"
# pytest-odoo names the module after the folder holding the tests: go through the symlink.
case "$TEST_PATH" in
    /*) TARGET="$TEST_PATH" ;;
    *) TARGET="$ADDON_LINK/${TEST_PATH#./}" ;;
esac
# Installing takes a minute or two; pytest reads the tests from disk. So an install is reused
# (cloned from a template database, < 1 s) while the module's non-test files are unchanged.
FRESH="${FRESH:-0}"
case "${CI:-}" in "" | false | 0) ;; *) FRESH=1 ;; esac
SRC_HASH="$("$ODOO_PYTHON" - "$REPO_ROOT" <<'EOF'
import hashlib, os, sys
import odoo.release
root = sys.argv[1]
digest = hashlib.sha256(repr(odoo.release.version_info).encode() + odoo.__file__.encode())
# Files outside the addon proper (its tests, tooling, docs) do not change what gets installed.
skip = {"tests", "tools", "bench", "README.md", "Makefile", "pyproject.toml", "requirements-test.txt"}
for folder, dirs, files in os.walk(root):
    top = folder == root
    dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                     and not (top and d in skip))
    for name in sorted(files):
        if name.startswith(".") or name.endswith((".pyc", ".log")) or (top and name in skip):
            continue
        path = os.path.join(folder, name)
        digest.update(os.path.relpath(path, root).encode() + b"\0")
        with open(path, "rb") as handle:
            digest.update(handle.read())
print(digest.hexdigest()[:12])
EOF
)"
TEMPLATE="${MODULE}_tpl_$SRC_HASH"
DEMO_STAMP="$BUILD_DIR/cache/demo_check_ok_$SRC_HASH"

BG_PID=""
cleanup() {
    # Stop a background install we started ourselves, then drop what this run created.
    if [ -n "$BG_PID" ]; then
        # The background job is a subshell; Odoo is its child and must go too.
        # shellcheck disable=SC2046
        kill $(pgrep -P "$BG_PID") "$BG_PID" 2>/dev/null || true
        wait "$BG_PID" 2>/dev/null || true
    fi
    BG_PID=""
    if [ "${KEEP_DB:-0}" = 1 ]; then
        say "KEEP_DB=1: kept databases $DB $DEMO_DB (logs: $LOGS)"
        return
    fi
    local db
    for db in "$DB" "$DEMO_DB" "$BENCH_SRC" "$BENCH_DB"; do
        drop_db "$db" >/dev/null 2>&1 || say "could not drop $db"
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# fail MESSAGE: clean up first so that the message is the last line printed.
fail() { trap - EXIT; cleanup; echo "FAILED: $*"; exit 1; }

# check_install_log LOG DB WHAT: the no-warning rule of the install (see tools/check_log.py).
check_install_log() {
    if ! "$ODOO_PYTHON" "$REPO_ROOT/tools/check_log.py" "$1" --db "$2"; then
        fail "$3 logged the warnings/errors above (log: $1)"
    fi
}
show_tail() { tail -n 40 "$1" "$1.stderr" 2>/dev/null | sed 's/^/    /' || true; }
# shell_check SCRIPT TAG LOGNAME WHAT: pipe tools/SCRIPT into `odoo shell` on the demo database;
# the line it prints starting with TAG must say ok=True, else the run fails with WHAT.
shell_check() {
    local script=$1 tag=$2 name=$3 what=$4 result
    result="$(odoo_bin shell -c "$ODOO_CONF" -d "$DEMO_DB" --no-http --max-cron-threads=0 \
        --logfile "$LOGS/$name.log" <"$REPO_ROOT/tools/$script" \
        2>"$LOGS/$name.log.stderr" | grep "^$tag" || true)"
    echo "    ${result:-no $tag line}" >&2
    case "$result" in
        *"ok=True"*) ;;
        *) show_tail "$LOGS/$name.log"; fail "$what: ${result:-the check crashed}" ;;
    esac
}

# --- 1 + 2a: the installs; the demo one runs alongside (two cores, both single-threaded) ---
demo_needed=0
if [ "$DEMO_CHECK" = 1 ]; then
    if [ "$FRESH" = 1 ] || [ ! -f "$DEMO_STAMP" ]; then
        demo_needed=1
        say "installing $MODULE WITH demo data in $DEMO_DB (in the background)"
        install_module "$DEMO_DB" "$LOGS/install_demo.log" &
        BG_PID=$!
    else
        say "demo install+uninstall check: passed before for these sources (FRESH=1 redoes it)"
    fi
fi

# (A concurrent run may hold or drop the template: then just install.)
if [ "$FRESH" != 1 ] && db_exists "$TEMPLATE" && createdb -T "$TEMPLATE" "$DB" 2>/dev/null; then
    say "reusing the install of unchanged sources: $TEMPLATE -> $DB (FRESH=1 reinstalls)"
    if [ -d "$DATA_DIR/filestore/$TEMPLATE" ]; then
        cp -a "$DATA_DIR/filestore/$TEMPLATE" "$DATA_DIR/filestore/$DB"
    fi
else
    say "installing $MODULE WITHOUT demo data in $DB (~1 min; log: $LOGS/install.log)"
    install_module "$DB" "$LOGS/install.log" --without-demo=all \
        || { show_tail "$LOGS/install.log"; fail "install without demo data"; }
    check_install_log "$LOGS/install.log" "$DB" "install without demo data"
    if [ "$FRESH" != 1 ]; then
        # Keep this install as the template of the next runs; older templates are obsolete.
        for old in $(psql -X -d postgres -Atc \
            "SELECT datname FROM pg_database WHERE datname LIKE '${MODULE}\_tpl\_%'"); do
            drop_db "$old" 2>/dev/null || true
        done
        if createdb -T "$DB" "$TEMPLATE" 2>/dev/null && [ -d "$DATA_DIR/filestore/$DB" ]; then
            cp -a "$DATA_DIR/filestore/$DB" "$DATA_DIR/filestore/$TEMPLATE"
        fi
    fi
fi

# --- 4 (prepared): the benchmark's smoke run starts from the install, before the tests ---
if [ "$BENCH_SMOKE" = 1 ]; then
    createdb -T "$DB" "$BENCH_SRC" || fail "could not copy $DB for the benchmark smoke run"
fi

# --- 2b: the demo database: clean install log, then uninstall ---
if [ "$demo_needed" = 1 ]; then
    say "waiting for the demo-data install"
    rc=0
    wait "$BG_PID" || rc=$?
    BG_PID=""
    [ "$rc" = 0 ] || { show_tail "$LOGS/install_demo.log"; fail "install with demo data"; }
    check_install_log "$LOGS/install_demo.log" "$DEMO_DB" "install with demo data"
    say "checking the story the demo data tells (tools/demo_check.py)"
    shell_check demo_check.py DEMO_RESULT demo_check "demo data"
    say "uninstalling $MODULE from $DEMO_DB"
    shell_check uninstall_check.py UNINSTALL_RESULT uninstall "uninstall from the demo database"
    check_install_log "$LOGS/uninstall.log" "$DEMO_DB" "uninstall"
    drop_db "$DEMO_DB" || true
    # --- 2c: upgrade from the previous release keeps reviews, rules and logs ---
    bash "$REPO_ROOT/tools/upgrade_check.sh" "$LOGS" || fail "upgrade from the previous release"
    touch "$DEMO_STAMP"
fi

# --- 3: the tests ---
say "pytest-odoo on $DB: $TARGET"
# pytest must not see the repository as its rootdir or take pyproject.toml as its config file:
# it then resolves the symlink and imports the tests as odoo.addons.<clone folder name>.
# So: run from .build/, with .build/ as rootdir and an empty config file there.
printf '[pytest]\n' >"$BUILD_DIR/pytest.ini"
set +e
# PYTEST_ARGS is split into words on purpose (several options in one variable).
# shellcheck disable=SC2086
(cd "$BUILD_DIR" && "$ODOO_PYTHON" -m pytest -c "$BUILD_DIR/pytest.ini" --rootdir "$BUILD_DIR" \
    -p no:cacheprovider -rs \
    --odoo-config "$ODOO_CONF" --odoo-database "$DB" --odoo-http --odoo-log-level warn \
    --odoo-extra "logfile=$LOGS/tests_odoo.log" --junitxml "$LOGS/junit.xml" \
    ${PYTEST_ARGS:-} "$TARGET") 2>&1 | tee "$LOGS/pytest.out"
pytest_rc=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^=+ .* in [0-9.]+s' "$LOGS/pytest.out" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')"
summary="${summary:-pytest printed no summary (exit $pytest_rc)}"

problems=()
# --- 4: the benchmark's smoke run (its table is printed; its data checks must pass) ---
if [ "$BENCH_SMOKE" = 1 ]; then
    say "benchmark smoke run: bench/retention_bench.py --smoke (log: $LOGS/bench_smoke.out)"
    bench_rc=0
    "$ODOO_PYTHON" "$REPO_ROOT/bench/retention_bench.py" --config "$ODOO_CONF" --smoke \
        --from-template "$BENCH_SRC" --db "$BENCH_DB" >"$LOGS/bench_smoke.out" 2>&1 || bench_rc=$?
    sed -n '/^+--/,$p' "$LOGS/bench_smoke.out" | grep -v '^\[' || true
    if [ "$bench_rc" != 0 ]; then
        tail -n 30 "$LOGS/bench_smoke.out" | sed 's/^/    /'
        problems+=("the benchmark smoke run failed (exit $bench_rc, log: $LOGS/bench_smoke.out)")
    fi
fi
case "$pytest_rc" in
    0) ;;
    1) problems+=("some tests failed") ;;
    5) problems+=("no test was collected from $TARGET") ;;
    *) problems+=("pytest stopped with exit status $pytest_rc") ;;
esac
# A skipped test (a browser tour that found no browser, a missing dependency) is a failure.
skipped="$("$ODOO_PYTHON" - "$LOGS/junit.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    cases = ET.parse(sys.argv[1]).iter("testcase")
except (OSError, ET.ParseError):
    sys.exit(0)
for case in cases:
    for skip in case.findall("skipped"):
        if skip.get("type") != "pytest.xfail":
            print(f"  {case.get('classname')}.{case.get('name')}: {skip.get('message', '')}")
EOF
)"
[ -z "$skipped" ] || problems+=("skipped tests count as failures")
# Errors Odoo logged during the tests (outside mute_logger/assertLogs) are failures too, except
# the one pytest-odoo always causes by importing odoo.tests before it turns test mode on.
logged="$("$ODOO_PYTHON" "$REPO_ROOT/tools/check_log.py" "$LOGS/tests_odoo.log" --db "$DB" \
    --ignore 'odoo\.tests\.common: Importing test framework' 2>/dev/null \
    | grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' || true)"
[ -z "$logged" ] || problems+=("Odoo logged errors during the tests (log: $LOGS/tests_odoo.log)")

trap - EXIT
cleanup
if [ -n "$skipped" ]; then printf 'Skipped tests:\n%s\n' "$skipped"; fi
if [ -n "$logged" ]; then printf 'Errors logged during the tests:\n%s\n' "$logged"; fi
if [ "${#problems[@]}" -gt 0 ]; then
    printf 'FAILED: %s\n' "${problems[@]}"
    echo "$summary"
    exit 1
fi
echo "$summary"
