"""The benchmark's database: made (installed or cloned), dropped, vacuumed, outside the Odoo
cursor (autocommit connections, as CREATE/DROP DATABASE and VACUUM need)."""

import os
import shlex
import subprocess
import sys
import time
from contextlib import contextmanager

import odoo

from measure import log

MODULE = "customer_retention"


@contextmanager
def _autocommit_cursor(db="postgres"):
    import psycopg2

    _db, info = odoo.sql_db.connection_info_for(db)
    conn = psycopg2.connect(**info)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def drop_database(db):
    odoo.sql_db.close_db(db)
    with _autocommit_cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (db,),
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{db}"')
    filestore = odoo.tools.config.filestore(db)
    if os.path.isdir(filestore):
        subprocess.run(["rm", "-rf", filestore], check=False)


def database_exists(db):
    with _autocommit_cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
        return bool(cur.fetchone())


def clone_database(template, db):
    with _autocommit_cursor() as cur:
        cur.execute(f'CREATE DATABASE "{db}" TEMPLATE "{template}"')


def install_database(config, db, log_dir):
    """Fresh database with the module installed, without demo data (a subprocess, like the
    developer scripts do)."""
    os.makedirs(log_dir, exist_ok=True)
    logfile = os.path.join(log_dir, f"bench_install_{db}.log")
    cmd = [
        sys.executable, "-m", "odoo", "-c", config, "-d", db, "-i", MODULE,
        "--without-demo=all", "--stop-after-init", "--no-http", "--max-cron-threads=0",
        "--logfile", logfile,
    ]  # fmt: skip
    log("install: " + " ".join(shlex.quote(c) for c in cmd))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"install failed (exit {proc.returncode}), see {logfile}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def vacuum_analyze(db, tables):
    """What autovacuum would have done on a database that grew over 5 years."""
    with _autocommit_cursor(db) as cur:
        for table in tables:
            cur.execute(f"VACUUM (ANALYZE) {table}")


def fetch_value(cr, query, params=None):
    """The first column of the first row a query returns."""
    cr.execute(query, params)
    return cr.fetchone()[0]
