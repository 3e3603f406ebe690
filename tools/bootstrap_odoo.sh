#!/usr/bin/env bash
# Install Odoo 18.0 Community into a virtual environment, for a machine that has none:
#   bash tools/bootstrap_odoo.sh [VENV]          (default VENV: .venv in the repository)
# Called by `make demo` / `make test` when no interpreter can `import odoo` (outside CI).
# Env: ODOO_SOURCE  where Odoo comes from (default: Odoo's official 18.0 source archive):
#                   a source tree (a folder holding odoo-bin), a .tar.gz/.tgz/.zip archive of
#                   one, or the URL of such an archive.
#      BOOTSTRAP_PYTHON  the Python 3.10-3.12 used to create the venv (default python3).
# The source is installed in editable mode: a folder is used where it is; an archive is
# unpacked into VENV/src/odoo. Odoo's requirements are installed from PyPI with two known
# fixes for Python 3.11: cbor2 5.4.2 does not build (5.4.6 does) and python-ldap (LDAP login
# only) is left out, as it needs the OpenLDAP headers. Nothing of Odoo lands in the repository:
# .venv/ is ignored by git.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="${1:-$REPO_ROOT/.venv}"
ODOO_SOURCE="${ODOO_SOURCE:-https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz}"
BOOTSTRAP_PYTHON="${BOOTSTRAP_PYTHON:-python3}"

say() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

command -v "$BOOTSTRAP_PYTHON" >/dev/null || die "'$BOOTSTRAP_PYTHON' not found: install Python 3.11
  (Debian/Ubuntu: apt-get install python3 python3-venv python3-dev) or set BOOTSTRAP_PYTHON."
"$BOOTSTRAP_PYTHON" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' \
    || die "Odoo 18.0 needs Python 3.10 to 3.12; '$BOOTSTRAP_PYTHON' is $("$BOOTSTRAP_PYTHON" -V 2>&1).
  Set BOOTSTRAP_PYTHON to such an interpreter."

if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment $VENV"
    "$BOOTSTRAP_PYTHON" -m venv "$VENV" || die "could not create $VENV
  (Debian/Ubuntu: apt-get install python3-venv)"
fi
PY="$VENV/bin/python"

# --- the source tree ---
if [ -d "$ODOO_SOURCE" ]; then
    SRC="$(cd "$ODOO_SOURCE" && pwd -P)"
else
    SRC="$VENV/src/odoo"
    if [ ! -f "$SRC/odoo-bin" ]; then
        archive="$ODOO_SOURCE"
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        case "$ODOO_SOURCE" in
            http://* | https://*)
                say "downloading $ODOO_SOURCE (about 300 MB)"
                archive="$tmp/odoo_source"
                curl -fL --retry 3 -o "$archive" "$ODOO_SOURCE" \
                    || die "could not download $ODOO_SOURCE: set ODOO_SOURCE to a local source tree or archive"
                ;;
        esac
        [ -f "$archive" ] || die "ODOO_SOURCE=$ODOO_SOURCE is neither a folder, an archive nor a URL"
        say "unpacking the Odoo source into $SRC"
        mkdir -p "$tmp/unpacked"
        case "$archive" in
            *.zip) "$PY" -m zipfile -e "$archive" "$tmp/unpacked" ;;
            *) tar -xf "$archive" -C "$tmp/unpacked" ;;
        esac
        top="$(dirname "$(find "$tmp/unpacked" -maxdepth 3 -name odoo-bin -type f | head -n 1)")"
        [ -f "$top/odoo-bin" ] || die "no odoo-bin in $ODOO_SOURCE: not an Odoo source archive"
        mkdir -p "$(dirname "$SRC")"
        rm -rf "$SRC"
        mv "$top" "$SRC"
    fi
fi
[ -f "$SRC/odoo-bin" ] && [ -f "$SRC/requirements.txt" ] \
    || die "$SRC is not an Odoo source tree (no odoo-bin or requirements.txt)"
grep -q "version_info = (18, 0" "$SRC/odoo/release.py" \
    || die "$SRC is not Odoo 18.0 ($(grep -m1 '^version_info' "$SRC/odoo/release.py" || echo 'no release.py'))"

# --- Odoo's requirements, with the known fixes, then Odoo itself (editable) ---
say "installing Odoo's requirements into $VENV (a few minutes)"
requirements="$VENV/odoo-requirements.txt"
grep -v -E '^[[:space:]]*(cbor2|python-ldap)[[:space:]=<>~;]' "$SRC/requirements.txt" >"$requirements"
echo "cbor2==5.4.6" >>"$requirements"
"$PY" -m pip install -q --upgrade pip wheel setuptools
"$PY" -m pip install -q -r "$requirements" || die "installing Odoo's requirements failed (see above).
  Building some of them needs C headers: apt-get install build-essential python3-dev libpq-dev
  libxml2-dev libxslt1-dev libjpeg-dev zlib1g-dev libsasl2-dev"
"$PY" -m pip install -q --no-deps -e "$SRC"
"$PY" -c 'import odoo.release; assert odoo.release.version_info[:2] == (18, 0)' \
    || die "Odoo is installed in $VENV but does not import"
say "Odoo $("$PY" -c 'import odoo.release; print(odoo.release.version)') ready in $VENV (from $SRC)"
