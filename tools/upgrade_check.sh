#!/usr/bin/env bash
# Upgrade from the previous release: install the release named in tools/previous_release
# (sources taken from this repository's git history) WITH demo data, record its reviews,
# rules, actions, logs and figures, upgrade to the working tree's sources with `-u`, and check
# that nothing was lost and the upgrade logged no warning. Called by tools/test.sh (full runs).
set -euo pipefail
# shellcheck source=odoo_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/odoo_env.sh"

LOGS="${1:?usage: upgrade_check.sh LOG_DIR}"
read -r PREVIOUS PREVIOUS_VERSION <"$REPO_ROOT/tools/previous_release"
DB="${MODULE}_upgrade_$(date +%H%M%S)_$$"
PREV_ROOT="$BUILD_DIR/previous"
PREV_CONF="$BUILD_DIR/odoo_previous.conf"
trap 'drop_db "$DB" >/dev/null 2>&1 || true' EXIT

git -C "$REPO_ROOT" cat-file -e "$PREVIOUS^{commit}" 2>/dev/null || die "the previous release
  $PREVIOUS ($PREVIOUS_VERSION) is not in this clone's history: fetch it (git fetch --unshallow)."
rm -rf "$PREV_ROOT"
mkdir -p "$PREV_ROOT/addons/$MODULE"
git -C "$REPO_ROOT" archive "$PREVIOUS" | tar -x -C "$PREV_ROOT/addons/$MODULE"
# Same data_dir (filestore) as the current config, the previous sources in the addons path.
sed "s#^addons_path = \(.*\),$ADDONS_DIR\$#addons_path = \1,$PREV_ROOT/addons#" "$ODOO_CONF" >"$PREV_CONF"
grep -q "$PREV_ROOT/addons" "$PREV_CONF" || die "could not point $PREV_CONF at the previous sources"

say "upgrade check: installing release $PREVIOUS_VERSION ($PREVIOUS) with demo data in $DB"
odoo_bin -c "$PREV_CONF" -d "$DB" -i "$MODULE" --stop-after-init --no-http --max-cron-threads=0 \
    --logfile "$LOGS/upgrade_previous.log" 2>>"$LOGS/upgrade_previous.log.stderr" \
    || die "installing the previous release failed (log: $LOGS/upgrade_previous.log)"
export UPGRADE_FROM="$PREVIOUS_VERSION"
shell() {
    odoo_bin shell -c "$1" -d "$DB" --no-http --max-cron-threads=0 --logfile "$2" \
        <"$REPO_ROOT/tools/upgrade_check.py" 2>>"$2.stderr"
}
before="$(UPGRADE_STEP=before shell "$PREV_CONF" "$LOGS/upgrade_before.log" | grep '^UPGRADE_COUNTS ' || true)"
[ -n "$before" ] || die "could not count the records of the previous release (log: $LOGS/upgrade_before.log)"
say "upgrade check: recorded the previous release's reviews, rules, actions, logs and figures"

say "upgrade check: upgrading $DB to the current sources"
odoo_bin -c "$ODOO_CONF" -d "$DB" -u "$MODULE" --stop-after-init --no-http --max-cron-threads=0 \
    --logfile "$LOGS/upgrade.log" 2>>"$LOGS/upgrade.log.stderr" \
    || die "the upgrade failed (log: $LOGS/upgrade.log)"
"$ODOO_PYTHON" "$REPO_ROOT/tools/check_log.py" "$LOGS/upgrade.log" --db "$DB" \
    || die "the upgrade logged the warnings/errors above (log: $LOGS/upgrade.log)"
result="$(UPGRADE_STEP=after UPGRADE_BEFORE="${before#UPGRADE_COUNTS }" \
    shell "$ODOO_CONF" "$LOGS/upgrade_after.log" | grep '^UPGRADE_RESULT ' || true)"
echo "    ${result:-no UPGRADE_RESULT line}" >&2
case "$result" in
    *"ok=True"*) ;;
    *) die "upgrade from $PREVIOUS_VERSION: ${result:-the check crashed (log: $LOGS/upgrade_after.log)}" ;;
esac
