#!/usr/bin/env bash
# make bench: run the benchmark script against the shared Odoo config.
# Env: BENCH_ARGS (extra arguments for bench/retention_bench.py, split into words).
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"

script="$REPO_ROOT/bench/retention_bench.py"
[ -f "$script" ] || die "bench/retention_bench.py does not exist yet: there is no benchmark to run."
check_odoo
check_postgres
prepare_build
# shellcheck disable=SC2086
exec "$ODOO_PYTHON" "$script" --config "$ODOO_CONF" ${BENCH_ARGS:-}
