#!/usr/bin/env bash
# make demo: a fresh database with the module and its demo data, then serve it.
# Env: DEMO_DB (default customer_retention_demo), HTTP_PORT (default 8069).
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"

DEMO_DB="${DEMO_DB:-${MODULE}_demo}"
HTTP_PORT="${HTTP_PORT:-8069}"
check_odoo
check_postgres
prepare_build

# Fail now rather than after a two-minute install if the port is taken (e.g. another demo).
if (exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null; then
    die "port $HTTP_PORT is already in use: stop that server or pick another, e.g. HTTP_PORT=8070 make demo"
fi
drop_db "$DEMO_DB" || die "cannot drop database $DEMO_DB: is a server still connected to it?"

log="$BUILD_DIR/logs/demo_install.log"
rm -f "$log" "$log.stderr"
say "installing $MODULE with demo data in $DEMO_DB (several minutes; log: $log)"
# Odoo 18 loads demo data unless --without-demo is given.
if ! install_module "$DEMO_DB" "$log"; then
    tail -n 40 "$log" "$log.stderr" >&2 || true
    die "installation failed, see $log"
fi
"$ODOO_PYTHON" "$REPO_ROOT/tools/check_log.py" "$log" --db "$DEMO_DB" >&2 \
    || say "the installation logged the warnings above; serving anyway"

cat <<MSG

  Customer Retention demo is starting on http://localhost:$HTTP_PORT
  Database: $DEMO_DB    Login: admin    Password: admin
  (Ctrl-C stops the server.)

MSG
# Serve only this database so the login page opens on it, even with test databases around.
exec "$ODOO_PYTHON" -m odoo -c "$ODOO_CONF" -d "$DEMO_DB" --db-filter "^${DEMO_DB}\$" \
    --http-port "$HTTP_PORT"
