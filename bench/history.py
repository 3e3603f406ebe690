"""The health history paths of issue #18: "history of 24 months built <= 300 s, the daily
increment <= 60 s, a back-test <= 30 s, memory flat". Run after the analytics backfill (6a),
on the snapshots it left: the history build again on its own, the daily snapshot job on a
normal day once history exists, and the back-test."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from database import fetch_value
from measure import Measure, Result, current_rss_mb
from paths import StepTimer

HISTORY_TARGET, DAILY_TARGET, BACKTEST_TARGET = 300, 60, 30
#: Memory is flat when the process grows by less than this from the first batch written to
#: the last (one batch of customers is in memory at a time, whatever the months).
FLAT_GROWTH_MB = 64


class History:
    """Paths 6c-6e, appended to the bench's results."""

    def __init__(self, bench):
        self.bench = bench
        self.env = bench.env
        self.cr = bench.cr
        self.today = bench.today
        self.snapshots = self.env["retention.snapshot"].sudo()
        self.companies = self.env["res.company"].sudo().search([])

    def run(self):
        if not fetch_value(self.cr, "SELECT COUNT(*) FROM retention_snapshot"):
            self.bench.failures.append("health history: no snapshot (run path 6a first)")
            return
        skip = {name.strip() for name in self.bench.args.skip.split(",")}
        if "history-build" not in skip:  # development: the daily job and back-test only
            self.history_build()
        self.daily_increment()
        self.backtest()

    def history_build(self):
        """The health, stage and factor scores of every customer for every closed month of the
        history window (24 by default), as of each month's end: _fill_history, each company
        committed. Memory: the process's size after each batch of customers written."""
        rss = []
        cls = type(self.snapshots)
        write_rows, own = cls._write_health_rows, cls.__dict__.get("_write_health_rows")

        def write_and_watch(model, *args, **kwargs):
            written = write_rows(model, *args, **kwargs)
            rss.append(current_rss_mb())
            return written

        current = self.today.replace(day=1)
        months = written = 0
        cls._write_health_rows = write_and_watch
        try:
            with Measure(self.cr) as m:
                for company in self.companies:
                    first = current - relativedelta(months=company.retention_history_months)
                    months += len(self.snapshots._history_months(company, first, current))
                    written += self.snapshots._fill_history(company, first, current)
                    self.cr.commit()
        finally:
            if own is None:
                del cls._write_health_rows
            else:
                cls._write_health_rows = own
        growth = (rss[-1] - rss[0]) if rss else 0
        flat = growth < FLAT_GROWTH_MB
        if not flat:
            self.bench.failures.append(
                f"health history: the process grew by {growth:.0f} MB from the first batch "
                f"written to the last ({FLAT_GROWTH_MB} MB allowed)"
            )
        self.bench.results.append(
            Result(
                "6c. health history, 24 months",
                written,
                m,
                f"<= {HISTORY_TARGET} s, memory flat",
                m.wall <= HISTORY_TARGET and flat,
                f"{months} closed months x customers scored as of each month's end "
                f"({written / max(months, 1):,.0f} rows a month, "
                f"{m.wall / max(months, 1):.1f} s a month; each batch of customers read once "
                f"for all the months, {len(rss)} batches); RSS after the first batch "
                f"{rss[0] if rss else 0:.0f} MB, after the last {rss[-1] if rss else 0:.0f} MB "
                f"({growth:+.0f} MB: {'flat' if flat else 'GROWS'})",
            )
        )

    def daily_increment(self):
        """The daily snapshot job (_cron_update_snapshots), as ir.cron runs it (called again
        while months remain): on a normal day (yesterday's run stamped every month done: the
        running month is rebuilt, then its periods' metric rows and cohort cells), and on the
        first day of a month (the month that just closed, last rebuilt on its last day, has its
        rows scored as of its end: their health history)."""
        yesterday = self.today - timedelta(days=1)
        self._run_daily_job(
            "6d. daily snapshot job, a normal day",
            "UPDATE retention_snapshot_job SET done_on = %(day)s, metrics_done_on = %(day)s "
            "WHERE done_on >= %(day)s",
            {"day": yesterday},
        )
        # the month before closed yesterday: the job last ran on its last day
        closed = self.today.replace(day=1) - relativedelta(months=1)
        self._run_daily_job(
            "6d-1. daily snapshot job, first day of a month",
            "UPDATE retention_snapshot_job SET done_on = %(day)s, metrics_done_on = %(day)s "
            "WHERE month >= %(closed)s",
            {"day": closed + relativedelta(months=1, days=-1), "closed": closed},
        )

    def _run_daily_job(self, path, stamp_query, params):
        self.cr.execute(stamp_query, params)
        self.env["retention.snapshot.job"].invalidate_model()
        self.cr.commit()
        jobs = self.env["retention.snapshot.job"].sudo()
        steps_model = ("_rebuild", "_fill_health", "_rebuild_due_metrics")
        with StepTimer(self.env, "retention.snapshot", steps_model) as steps, Measure(self.cr) as m:
            months = calls = 0
            while calls < 20:
                months += self.snapshots._cron_update_snapshots()
                calls += 1
                self.cr.commit()
                if not jobs._pending_count(self.today):
                    break
        left = jobs._pending_count(self.today)
        if left:
            self.bench.failures.append(f"daily snapshot job: {left} months still due")
        self.bench.results.append(
            Result(
                path,
                months,
                m,
                f"<= {DAILY_TARGET} s",
                m.wall <= DAILY_TARGET,
                f"{months} (company, month) rebuilt in {calls} job call(s), then the metric "
                f"rows and cohort cells of their periods; steps: {steps.summary()}; the "
                "profile's daily recompute is path 1b",
            )
        )

    def backtest(self):
        """The back-test of the Score Check screen as the administrator: run(company, months=24,
        horizon=12)."""
        backtest = self.bench.admin_env()["retention.backtest"]
        company = self.env.company
        with Measure(self.cr) as m:
            result = backtest.run(company.id, months=24, horizon=12)
        self.cr.commit()  # drops the back-test's work table (ON COMMIT DROP)
        auc = result["auc"]
        self.bench.results.append(
            Result(
                "6e. back-test, 24 months, horizon 12",
                result["customers"],
                m,
                f"<= {BACKTEST_TARGET} s",
                m.wall <= BACKTEST_TARGET,
                f"{result['customers']:,} customer-months, {result['churned']:,} churned, "
                f"{result['first_month']} to {result['last_month']}, AUC "
                f"{'-' if auc is None else format(auc, '.2f')}",
            )
        )
