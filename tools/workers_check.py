"""The module's scheduled jobs in a multi-worker Odoo (issue #21), run by tools/workers_check.sh.

Serves a database that has the module with Odoo in prefork mode (--workers=2
--max-cron-threads=2, 127.0.0.1 only, free ports), makes every scheduled job of the module
due at once, several rounds in a row (nextcall in the past, and the cron workers woken), lets
the real cron workers run them, waits (bounded) until no job of the module is due or running,
then checks the outcome in the database:

- one planned review per customer and company;
- one follow-up log per rule and event, no activity or email made twice;
- one snapshot per customer, company and month;
- the refresh queue empty, every customer queued taken off it exactly once (a trigger counts
  the queue's inserts and deletes per customer), the figures written for each;
- progress reported to the cron runner by every job (ir.cron.progress), no error logged.

Stops the server at the end in every case. Exit 0 when all holds, 1 with what failed.

    python3 tools/workers_check.py --db DB --conf .build/odoo.conf [--rounds 3] [--timeout 900]
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psycopg2

MODULE = "customer_retention"

AUDIT_SQL = """
DROP TABLE IF EXISTS workers_check_queue_audit;
CREATE TABLE workers_check_queue_audit (
    partner_id integer NOT NULL,
    op text NOT NULL,
    txid bigint NOT NULL DEFAULT txid_current(),
    at timestamp NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION workers_check_queue_audit() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO workers_check_queue_audit (partner_id, op) VALUES (NEW.partner_id, 'queued');
        RETURN NEW;
    END IF;
    INSERT INTO workers_check_queue_audit (partner_id, op) VALUES (OLD.partner_id, 'done');
    RETURN OLD;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS workers_check_queue_audit ON retention_profile_queue;
CREATE TRIGGER workers_check_queue_audit AFTER INSERT OR DELETE ON retention_profile_queue
    FOR EACH ROW EXECUTE FUNCTION workers_check_queue_audit();
-- what was queued before the check counts as queued once
INSERT INTO workers_check_queue_audit (partner_id, op)
SELECT partner_id, 'queued' FROM retention_profile_queue;
"""

# Work for every job, as on a busy day (the demo install did today's work already): the
# customers with a next review date are due today, the follow-up events fire again, this
# year's snapshot months are due, open feedback requests expired, every customer queued by the
# daily full recompute again.
SEED_SQL = """
UPDATE res_partner p SET retention_next_review_date = (
        SELECT jsonb_object_agg(company, to_jsonb((now() at time zone 'UTC')::date))
          FROM jsonb_object_keys(p.retention_next_review_date) company)
 WHERE retention_next_review_date IS NOT NULL AND retention_next_review_date <> '{}'
   AND NOT EXISTS (SELECT 1 FROM retention_review r
                    WHERE r.partner_id = p.id AND r.state = 'planned');
DELETE FROM retention_followup_log;
UPDATE retention_snapshot_job SET done_on = NULL, metrics_done_on = NULL;
UPDATE retention_feedback SET date_expiry = now() at time zone 'UTC' - interval '1 day'
 WHERE state = 'requested';
DELETE FROM ir_config_parameter WHERE key = 'customer_retention.last_full_mark';
"""

CLEANUP_SQL = """
DROP TRIGGER IF EXISTS workers_check_queue_audit ON retention_profile_queue;
DROP FUNCTION IF EXISTS workers_check_queue_audit();
"""

# The module's jobs: ir.cron records the module declares.
MODULE_CRONS = """
SELECT c.id FROM ir_cron c
  JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id AND d.module = %s
 WHERE c.active
"""

# (what, query): each query lists what was made twice; empty means fine.
DUPLICATES = [
    (
        "planned reviews of one customer (partner, company, count)",
        """SELECT partner_id, company_id, count(*) FROM retention_review
            WHERE state = 'planned' GROUP BY 1, 2 HAVING count(*) > 1""",
    ),
    (
        "follow-up logs of one rule and event (rule, model, record, event, count)",
        """SELECT rule_id, res_model, res_id, event_key, count(*) FROM retention_followup_log
            GROUP BY 1, 2, 3, 4 HAVING count(*) > 1""",
    ),
    (
        "activities made twice during the run (model, record, type, summary, deadline, user,"
        " count)",
        """SELECT res_model, res_id, activity_type_id, summary, date_deadline, user_id, count(*)
             FROM mail_activity WHERE create_date >= %(start)s
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING count(*) > 1""",
    ),
    (
        # the same text to the same people about the same record: two digests of as many
        # reviews have the same subject, not the same body
        "emails made twice during the run (model, record, subject, recipients, recipient"
        " partners, body's md5, count)",
        """SELECT m.model, m.res_id, m.subject, mm.email_to,
                  (SELECT array_agg(r.res_partner_id ORDER BY r.res_partner_id)
                     FROM mail_mail_res_partner_rel r WHERE r.mail_mail_id = mm.id) AS partners,
                  md5(m.body), count(*)
             FROM mail_mail mm JOIN mail_message m ON m.id = mm.mail_message_id
            WHERE mm.create_date >= %(start)s
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING count(*) > 1""",
    ),
    (
        "feedback requests made twice during the run (project, partner, kind, count)",
        """SELECT project_id, partner_id, kind, count(*) FROM retention_feedback
            WHERE create_date >= %(start)s GROUP BY 1, 2, 3 HAVING count(*) > 1""",
    ),
    (
        "snapshots of one customer, company and month (partner, company, month, count)",
        """SELECT partner_id, company_id, month, count(*) FROM retention_snapshot
            GROUP BY 1, 2, 3 HAVING count(*) > 1""",
    ),
    (
        "customers taken off the refresh queue more or less often than queued (partner,"
        " queued, done)",
        """SELECT partner_id, count(*) FILTER (WHERE op = 'queued'),
                  count(*) FILTER (WHERE op = 'done')
             FROM workers_check_queue_audit GROUP BY 1
           HAVING count(*) FILTER (WHERE op = 'queued') <> count(*) FILTER (WHERE op = 'done')""",
    ),
    (
        "customers taken off the queue twice in one transaction (partner, transaction, count)",
        """SELECT partner_id, txid, count(*) FROM workers_check_queue_audit WHERE op = 'done'
            GROUP BY 1, 2 HAVING count(*) > 1""",
    ),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_bin():
    """Odoo's launcher: the prefork server starts its gevent (longpolling) process with the
    script it was started from, which `python -m odoo` cannot be."""
    import odoo  # noqa: PLC0415 (the checker runs with the interpreter that has Odoo)

    source = os.path.join(os.path.dirname(odoo.__path__[0]), "odoo-bin")
    script = os.path.join(os.path.dirname(sys.executable), "odoo")
    for candidate in (source, script):
        if os.path.isfile(candidate):
            return candidate
    raise SystemExit(f"no odoo-bin next to Odoo ({source}) nor an odoo script ({script})")


def load_summary(loads):
    """The 1-minute load averages sampled during a run, in words."""
    if not loads:
        return "load average not sampled"
    return (
        f"load average (1 min) min {min(loads):.1f}, mean {sum(loads) / len(loads):.1f},"
        f" max {max(loads):.1f} on {os.cpu_count()} cores"
    )


def say(text):
    print(f">>> {text}", file=sys.stderr, flush=True)


RETRIED = re.compile(r"^\S+ \S+ (\d+) INFO .*SERIALIZATION_FAILURE, \d+ tries left")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \S+ (\d+) ")


def log_errors(lines):
    """(error lines, conflicts retried) of a server log. Odoo logs the statement PostgreSQL
    refused for a concurrent update (``bad query``, at ERROR level), then tries the whole
    request again: such a line followed, in the same process, by Odoo's *SERIALIZATION_FAILURE,
    N tries left* is a conflict retried, not an error (a request that exhausts its tries ends
    with a traceback, which is one)."""
    errors, refused, retried = [], {}, 0
    for line in lines:
        line = line.rstrip()
        match = LOG_LINE.match(line)
        pid = match.group(1) if match else None
        if pid and RETRIED.match(line) and pid in refused:
            refused.pop(pid)
            retried += 1
            continue
        stopped = "CPU time limit" in line or "timeout after" in line
        if stopped or " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
            if pid and " odoo.sql_db: bad query:" in line:
                # pending: an error unless Odoo tries the request again
                if pid in refused:
                    errors.append(refused[pid])
                refused[pid] = line
            else:
                errors.append(line)
    return errors + list(refused.values()), retried


class Checker:
    def __init__(self, args):
        self.args = args
        self.conn = psycopg2.connect(dbname=args.db)
        self.conn.autocommit = True
        self.server = None
        self.port = None
        self.stderr = None
        self.failures = []

    def query(self, sql, params=None):
        with self.conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else []

    def value(self, sql, params=None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    # -- server --------------------------------------------------------------------------------
    def gevent_works(self):
        """Whether the prefork server's longpolling (gevent) process can start here."""
        probe = subprocess.run(
            [self.args.python, "-c", "import gevent.monkey; gevent.monkey.patch_all()"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode:
            lines = (probe.stderr or "?").strip().splitlines()
            say(
                f"WARNING: gevent fails in {self.args.python} ({lines[-1]}): the longpolling"
                " process could not start and would be respawned in a loop; the server runs its"
                " cron workers without HTTP (--no-http), which is what this check is about"
            )
        return probe.returncode == 0

    def start_server(self, http_required=False):
        http = self.gevent_works()
        if http_required and not http:
            raise SystemExit(
                "gevent must work in the Odoo interpreter to serve HTTP in prefork mode: install"
                " the pins of requirements-test.txt (zope.interface, zope.event) with it"
            )
        port = self.port = self.args.port or free_port()
        cmd = [
            self.args.python,
            odoo_bin(),
            "-c",
            self.args.conf,
            "-d",
            self.args.db,
            "--db-filter",
            f"^{re.escape(self.args.db)}$",
            "--workers=2",
            f"--max-cron-threads={self.args.cron_threads}",
            # Odoo's default limits (a cron worker's pass: 120 s, 60 s of CPU), as in
            # production: the module's jobs must hand back before Odoo stops the worker
            "--log-level=info",
            f"--logfile={self.args.log}",
        ]
        if http:
            cmd += [
                "--http-interface=127.0.0.1",
                f"--http-port={port}",
                f"--gevent-port={free_port()}",
            ]
        else:
            cmd.append("--no-http")
        say(f"serving {self.args.db} in prefork mode: odoo {' '.join(cmd[2:])}")
        # A session of its own: the stop signal reaches the workers through their master.
        for path in (self.args.log, f"{self.args.log}.stderr"):
            if os.path.exists(path):
                os.remove(path)  # the cron workers' start is read from this run's log
        self.stderr = open(f"{self.args.log}.stderr", "w", encoding="utf-8")  # noqa: SIM115
        self.server = subprocess.Popen(
            cmd, start_new_session=True, stdout=self.stderr, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        up = not http
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"the server stopped at once (exit {self.server.returncode})")
            if not up:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=5):
                        say(f"HTTP workers answer on 127.0.0.1:{port}")
                        up = True
                except OSError:
                    pass
            alive = 0
            if os.path.exists(self.args.log):
                with open(self.args.log, encoding="utf-8", errors="replace") as log:
                    alive = log.read().count("Worker WorkerCron (")
            if up and alive >= self.args.cron_threads:
                say(f"{alive} cron workers alive")
                return
            time.sleep(1)
        raise SystemExit("the server's HTTP or cron workers did not start within 120 s")

    def stop_server(self):
        if not self.server or self.server.poll() is not None:
            return
        say("stopping the server")
        os.killpg(self.server.pid, signal.SIGTERM)
        try:
            self.server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait(timeout=30)
        self.stderr.close()

    # -- jobs ----------------------------------------------------------------------------------
    def cron_ids(self):
        return [row[0] for row in self.query(MODULE_CRONS, [MODULE])]

    def make_all_due(self, ids):
        """Due now: the jobs' next call in the past, and a trigger each for the jobs a worker
        is running (their row is locked until the run ends: waiting for it would stall the
        caller)."""
        self.query(
            """UPDATE ir_cron SET nextcall = now() at time zone 'UTC' - interval '1 hour'
                WHERE id IN (SELECT id FROM ir_cron WHERE id = ANY(%(ids)s)
                               FOR NO KEY UPDATE SKIP LOCKED)""",
            {"ids": ids},
        )
        self.query(
            """INSERT INTO ir_cron_trigger (cron_id, call_at, create_date, write_date)
               SELECT id, now() at time zone 'UTC', now() at time zone 'UTC',
                      now() at time zone 'UTC'
                 FROM unnest(%(ids)s::int[]) id""",
            {"ids": ids},
        )
        with psycopg2.connect(dbname="postgres") as conn, conn.cursor() as cr:
            cr.execute("SELECT pg_notify('cron_trigger', %s)", [self.args.db])
        conn.close()

    def busy(self, ids, locks=True):
        """Names of the jobs still due or running (a worker holds their row; not looked at
        without ``locks``)."""
        due = self.query(
            """SELECT c.cron_name FROM ir_cron c WHERE c.id = ANY(%(ids)s)
                 AND (c.nextcall <= now() at time zone 'UTC'
                      OR EXISTS (SELECT 1 FROM ir_cron_trigger t WHERE t.cron_id = c.id
                                    AND t.call_at <= now() at time zone 'UTC'))""",
            {"ids": ids},
        )
        if not locks:
            return sorted({row[0] for row in due}), []
        self.conn.autocommit = False
        try:
            with self.conn.cursor() as cr:
                # FOR SHARE conflicts with the runner's FOR NO KEY UPDATE: what is skipped runs
                cr.execute("SELECT id FROM ir_cron WHERE id = ANY(%s) FOR SHARE SKIP LOCKED", [ids])
                free = {row[0] for row in cr.fetchall()}
        finally:
            self.conn.rollback()
            self.conn.autocommit = True
        running = self.query(
            "SELECT cron_name FROM ir_cron WHERE id = ANY(%s)",
            [[i for i in ids if i not in free]],
        )
        return sorted({row[0] for row in due}), sorted({row[0] for row in running})

    def wait_settled(self, ids, deadline):
        """Wait until none of the jobs ``ids`` is due or running, two polls in a row; exits
        with what is still busy after ``deadline`` (time.monotonic)."""
        quiet = 0
        while quiet < 2:
            if self.server.poll() is not None:
                raise SystemExit(f"the server died (exit {self.server.returncode})")
            due, running = self.busy(ids)
            quiet = quiet + 1 if not due and not running else 0
            if quiet >= 2:
                break
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"TIMEOUT after {self.args.timeout} s: still due {due}, running {running}"
                )
            time.sleep(self.args.poll)

    def run_rounds(self, ids):
        deadline = time.monotonic() + self.args.timeout
        for number in range(1, self.args.rounds + 1):
            round_start = self.value("SELECT now() at time zone 'UTC'")
            self.make_all_due(ids)
            say(f"round {number}/{self.args.rounds}: {len(ids)} jobs of the module made due")
            self.wait_settled(ids, deadline)
            # lastcall is stored to the second
            missed = self.query(
                "SELECT cron_name FROM ir_cron WHERE id = ANY(%s)"
                " AND (lastcall IS NULL OR lastcall < date_trunc('second', %s::timestamp))",
                [ids, round_start],
            )
            if missed:
                self.failures.append(
                    f"round {number}: jobs that did not run: {[row[0] for row in missed]}"
                )

    # -- checks --------------------------------------------------------------------------------
    def check(self, ids, start):
        for what, sql in DUPLICATES:
            rows = self.query(sql, {"start": start})
            if rows:
                shown = "\n      ".join(map(str, rows[:20]))
                self.failures.append(f"DUPLICATE {what}: {len(rows)}\n      {shown}")
        queued = self.value("SELECT count(*) FROM retention_profile_queue")
        if queued:
            self.failures.append(f"{queued} customers are still queued for a refresh")
        counts = dict(self.query("SELECT op, count(*) FROM workers_check_queue_audit GROUP BY op"))
        customers = self.value("SELECT count(DISTINCT partner_id) FROM workers_check_queue_audit")
        if not counts.get("done"):
            self.failures.append("no customer went through the refresh queue")
        progress = self.query(
            """SELECT c.cron_name, count(p.id), coalesce(sum(p.done), 0),
                      coalesce(max(p.write_date), NULL)
                 FROM ir_cron c LEFT JOIN ir_cron_progress p
                   ON p.cron_id = c.id AND p.create_date >= %s
                WHERE c.id = ANY(%s) GROUP BY 1 ORDER BY 1""",
            [start, ids],
        )
        print("\nJob                                             calls  units reported")
        for name, calls, done, _last in progress:
            print(f"  {name[:46]:46} {calls:5} {done:9}")
            if not calls:
                self.failures.append(f"no progress reported by {name}")
        print(
            f"\nrefresh queue: {counts.get('queued', 0)} queued, {counts.get('done', 0)} taken"
            f" off, {customers} customers, {queued} left"
        )
        made = self.query(
            """SELECT 'reviews planned', count(*) FROM retention_review
                WHERE create_date >= %(start)s
               UNION ALL SELECT 'follow-up logs', count(*) FROM retention_followup_log
                WHERE create_date >= %(start)s
               UNION ALL SELECT 'activities', count(*) FROM mail_activity
                WHERE create_date >= %(start)s
               UNION ALL SELECT 'emails queued', count(*) FROM mail_mail
                WHERE create_date >= %(start)s
               UNION ALL SELECT 'feedback requests', count(*) FROM retention_feedback
                WHERE create_date >= %(start)s
               UNION ALL SELECT 'snapshot rows in all', count(*) FROM retention_snapshot""",
            {"start": start},
        )
        print("made during the run: " + ", ".join(f"{n} {what}" for what, n in made))
        self.check_log()

    def check_log(self):
        """Errors of the server's log, and a worker Odoo stopped for its time limits."""
        errors, retried = [], 0
        for path in (self.args.log, f"{self.args.log}.stderr"):
            with open(path, encoding="utf-8", errors="replace") as log:
                found, conflicts = log_errors(log)
                errors += found
                retried += conflicts
        if retried:
            say(
                f"{retried} statements refused for a concurrent update, their requests tried"
                " again by Odoo (not errors)"
            )
        if errors:
            shown = "\n      ".join(errors[:20])
            self.failures.append(f"the server logged {len(errors)} errors:\n      {shown}")

    def measure(self):
        """Wall time of the daily full recompute with --cron-threads cron workers."""
        ids = [
            row[0]
            for row in self.query(
                """SELECT res_id FROM ir_model_data WHERE module = %s AND model = 'ir.cron'
                    AND name IN ('ir_cron_retention_recompute_all',
                                 'ir_cron_retention_refresh_changed')""",
                [MODULE],
            )
        ]
        # The daily job's first step, done here: every customer queued and today marked, so
        # the two refresh jobs find a full queue and share it (FOR UPDATE SKIP LOCKED).
        self.query(
            """INSERT INTO retention_profile_queue (partner_id)
               SELECT id FROM res_partner WHERE id = commercial_partner_id
                  AND (customer_rank > 0 OR retention_stage IS NOT NULL)
               ON CONFLICT (partner_id) DO NOTHING"""
        )
        self.query(
            """INSERT INTO ir_config_parameter (key, value, create_date, write_date)
               VALUES ('customer_retention.last_full_mark',
                       to_char(now() at time zone 'UTC', 'YYYY-MM-DD'), now(), now())
               ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"""
        )
        customers = self.value("SELECT count(*) FROM retention_profile_queue")
        try:
            self.start_server()
            # the other jobs of the module are left alone: not due (their nextcall is ahead)
            started = time.monotonic()
            self.make_all_due(ids)
            deadline = started + self.args.timeout
            loads = []
            while True:
                loads.append(os.getloadavg()[0])
                due, running = self.busy(ids, locks=False)
                queued = self.value("SELECT count(*) FROM retention_profile_queue")
                marked = self.value(
                    "SELECT 1 FROM ir_config_parameter"
                    " WHERE key = 'customer_retention.last_full_mark'"
                )
                if marked and not queued and not due and not running:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"TIMEOUT: {queued} queued, due {due}, running {running}")
                time.sleep(0.2)
            elapsed = time.monotonic() - started
        finally:
            self.stop_server()
        print(
            f"MEASURE full recompute: {customers} customers, {self.args.cron_threads} cron"
            f" workers: {elapsed:.1f} s ({customers / elapsed:.0f} customers/s);"
            f" {load_summary(loads)}"
        )
        return 0

    def seed_work(self):
        """Work for every job, the refresh queue audited, the mail queue kept: returns the
        start of the run (database time) and the ids of the module's jobs."""
        self.query(AUDIT_SQL)
        self.query(SEED_SQL)
        # The emails stay in the mail queue to be counted (nothing is sent from the check).
        self.query(
            """UPDATE ir_cron SET active = false WHERE id IN (SELECT res_id FROM ir_model_data
                WHERE module = 'mail' AND name = 'ir_cron_mail_scheduler_action')"""
        )
        return self.value("SELECT now() at time zone 'UTC'"), self.cron_ids()

    def run(self):
        started = time.monotonic()
        start, ids = self.seed_work()
        if len(ids) < 6:
            raise SystemExit(f"expected the module's 6 scheduled jobs, found {len(ids)} active")
        try:
            self.start_server()
            self.run_rounds(ids)
        finally:
            self.stop_server()
            self.query(CLEANUP_SQL)
        self.check(ids, start)
        elapsed = time.monotonic() - started
        if self.failures:
            print("\nWORKERS_CHECK FAILED:\n  - " + "\n  - ".join(self.failures))
            print(f"(server log: {self.args.log})")
            return 1
        print(
            f"\nWORKERS_CHECK ok: {self.args.rounds} rounds of every job of the module in 2"
            f" prefork workers with 2 cron workers, nothing made twice ({elapsed:.0f} s)"
        )
        return 0


def server_arguments(parser, timeout_help):
    """The options of the database and the server, shared with tools/load_test.py."""
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--log", required=True, help="the server's log file")
    parser.add_argument("--python", default=sys.executable, help="the interpreter with Odoo")
    parser.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    parser.add_argument("--timeout", type=int, default=900, help=timeout_help)
    parser.add_argument("--poll", type=float, default=3)
    parser.add_argument("--cron-threads", type=int, default=2, help="cron workers (2)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server_arguments(parser, "seconds for all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--measure",
        action="store_true",
        help="time the daily full recompute instead: every customer queued (the daily job's"
        " first step), the two refresh jobs (which share the queue) made due, wall time until"
        " the queue is empty",
    )
    args = parser.parse_args()
    checker = Checker(args)
    return checker.measure() if args.measure else checker.run()


if __name__ == "__main__":
    sys.exit(main())
