"""Benchmark: the yearly prolongation campaign on PostgreSQL with real Celery workers, vs. the floor.

Seeds N dossiers in IPT (`engine.seeding.seed_in_ipt`) in a fresh PostgreSQL database, starts W
Celery workers (`ipt worker -c 1 --pool solo` subprocesses, or one `ipt worker -c W` prefork with
`--pool prefork`) on a Redis broker, opens the campaign of 2026-2027 on 20/05/2027
(`campaigns.open_campaign`) and relays its chunks from this process (what `ipt.relay` does:
`outbox.due_for_offer` → `deliver.apply_async` → `mark_offered`) until every chunk is done.
Measures:

- the campaign's wall time from the opening to the last chunk done → dossiers/s;
- each worker's memory: resident size once warm, at the end, and its peak (VmHWM of
  /proc/<pid>/status, the pool's children included) — flat means the end ≈ the warm size;
- the floor: N bare SpiffWorkflow prolongation instances (processes/prolongation_ipt.bpmn through
  the product's loader and state-only serializer) created, run to their first user tasks and
  serialized, one process per core, no database → instances/s; and the ratio floor / campaign.

The workers are warmed (one relay task each builds their runtime) before the clock starts: in
production they are long-running.

Usage (from the repository root; the servers must be running):

    python bench/campaign.py                              # N = 1000, 2 workers
    python bench/campaign.py --n 20000 --workers 2
    python bench/campaign.py --n 1000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        --redis redis://127.0.0.1:6379/5
    python bench/campaign.py --n 400 --profile            # cProfile of run_chunk, one chunk, in-process

A temporary database is created on the --pg server and dropped at the end (unless --keep); the
--redis database (not 0) is flushed before and after.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import multiprocessing
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, installed or not
# ruff: noqa: E402  (the imports below need the line above)

import engine.models  # noqa: F401  (registers the tables on Base.metadata)
from engine.clock import clock
from engine.config import Settings
from engine.db import Base, make_engine

TODAY = dt.date(2027, 5, 20)  # in the window of the 2026-2027 campaign (opens 18/05/2027)
YEAR = 2026  # the campaign is held during 2026-2027, for 2027-2028
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/5"
TARGETS = (
    "targets: >= 400 dossiers/s with 2 workers for N = 20,000; campaign <= 1.5x the floor "
    "(ratio floor/campaign <= 1.5); time linear in N up to 100,000; flat worker memory"
)


# -- the floor: bare SpiffWorkflow instances, no database --------------------------------------
_floor: dict = {}


def _floor_init(processes_dir: str, today: dt.date):
    import logging

    from engine.specs.registry import ProcessLibrary

    for name in ("spiff", "SpiffWorkflow"):  # as in the workers
        logging.getLogger(name).setLevel(logging.WARNING)
    clock.set_today(today)
    _floor["definition"] = ProcessLibrary(Path(processes_dir)).current["prolongation_ipt"]


def _floor_batch(ids) -> int:
    from SpiffWorkflow.util.task import TaskState

    from engine import calendar, instances
    from engine.specs import serializer

    definition = _floor["definition"]
    size = 0
    for d in ids:
        workflow = serializer.new_workflow(definition)
        workflow.get_tasks(state=TaskState.READY)[0].data.update(
            {  # what prolongations._start seeds
                "niveau": "secondaire" if d % 2 else "fondamental",
                "avis_cpms_eo_requis": d % 3 == 0,
                "current_year": YEAR,
                "next_year": YEAR + 1,
                "ipt_entry_date": calendar.first_day(YEAR).isoformat(),
            }
        )
        workflow.do_engine_steps()
        assert instances.ready_user_tasks(workflow), "no user task reached"
        size += len(serializer.dumps(workflow))
    return size


def floor(n: int, processes_dir: Path, procs: int) -> tuple[float, float]:
    """(instances/s, mean state size in bytes) over `procs` processes."""
    ctx = multiprocessing.get_context("fork")
    batch = 50
    chunks = [range(i, min(i + batch, n)) for i in range(0, n, batch)]
    with ctx.Pool(procs, initializer=_floor_init, initargs=(str(processes_dir), TODAY)) as pool:
        pool.map(_floor_batch, [range(0, 2)] * procs)  # warm: specs built, code compiled
        t0 = time.perf_counter()
        sizes = pool.map(_floor_batch, chunks, chunksize=1)
        wall = time.perf_counter() - t0
    return n / wall, sum(sizes) / n


# -- workers -------------------------------------------------------------------------------------
def _memory(pid: int) -> dict:
    """VmRSS / VmHWM (KiB) of `pid` and of its children (a prefork pool), per process."""
    out = {}
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        out[p] = {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM") if k in fields}  # kB
    return out


class Workers:
    def __init__(self, count: int, pool: str, env: dict, log_dir: Path):
        self.procs = []
        self.logs = []
        specs = (
            [["-c", "1", "--pool", "solo", "-n", f"bench{i}@%h"] for i in range(count)]
            if pool == "solo"
            else [["-c", str(count), "--pool", "prefork", "-n", "bench0@%h"]]
        )
        for i, spec in enumerate(specs):
            log = open(log_dir / f"worker{i}.log", "w")  # noqa: SIM115 (closed in stop)
            self.logs.append(log)
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ipt", "worker", *spec],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        self.expected = len(specs)

    def wait_ready(self, app, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError("a worker exited at start-up (see its log)")
            if len(app.control.ping(timeout=1.0) or []) >= self.expected:
                return
        raise RuntimeError("the workers did not answer the ping")

    def memory(self) -> list[dict]:
        """Per worker process (the solo process, or each prefork child): its VmRSS, VmHWM."""
        rows = []
        for p in self.procs:
            mem = _memory(p.pid)
            children = {k: v for k, v in mem.items() if k != p.pid}
            rows += children.values() if children else [mem.get(p.pid, {})]
        return rows

    def cpu_seconds(self) -> float:
        """User + system CPU of the workers and their children so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for p in self.procs:
            for pid in _memory(p.pid):
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in self.logs:
            log.close()


# -- the campaign ----------------------------------------------------------------------------------
def seed(factory, n: int) -> float:
    from engine.seeding import seed_in_ipt

    t0 = time.perf_counter()
    done = 0
    while done < n:  # 20 EO schools in 4 pôles per 10,000 dossiers
        part = min(10_000, n - done)
        with factory() as session:
            seed_in_ipt(session, part, tag=f"b{done // 10_000}")
            session.commit()
        done += part
    return time.perf_counter() - t0


def server_cpu_seconds(factory) -> float:
    """CPU of the PostgreSQL backends serving this database (the server runs on this host)."""
    tick = os.sysconf("SC_CLK_TCK")
    with factory() as session:
        pids = session.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def chunk_counts(factory) -> tuple[int, int]:
    from engine.models import OutboxMessage

    with factory() as session:
        rows = dict(
            session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.kind == "campaign_chunk")
                .group_by(OutboxMessage.status)
            ).all()
        )
    return sum(rows.values()), rows.get("sent", 0) + rows.get("failed", 0)


def run_campaign(args, url: str, tmp: Path) -> dict:
    env = {
        **os.environ,
        "IPT_DATABASE_URL": url,
        "IPT_BROKER_URL": args.redis,
        "IPT_INSTANCE_DIR": str(tmp),
        "IPT_SECRET_KEY": "bench",
        "IPT_TODAY": TODAY.isoformat(),
        "IPT_CAMPAIGN_CHUNK_SIZE": str(args.chunk),
        "IPT_SMTP_URL": "",  # mails (none in a campaign's chunks) go to the instance folder
    }
    os.environ.update(env)  # workers.app reads the settings when imported
    from engine.background import campaigns, outbox
    from engine.bootstrap import build_runtime
    from engine.models import OutboxMessage, ProcessInstance, Prolongation
    from workers.tasks import app, deliver, relay

    runtime, factory = build_runtime(Settings.from_env(env))
    seeded = seed(factory, args.n)
    print(f"  seeded {args.n} dossiers in {seeded:.1f} s")

    workers = Workers(args.workers, args.pool, env, tmp)
    try:
        workers.wait_ready(app)
        for _ in range(2 * args.workers):  # warm: each worker builds its runtime
            relay.apply_async()
        time.sleep(3)
        warm = workers.memory()
        cpu0 = workers.cpu_seconds()
        pg0 = server_cpu_seconds(factory)
        load0 = os.getloadavg()[0]
        clock.set_today(TODAY)
        t0 = time.perf_counter()
        with factory() as session:
            opened = campaigns.open_campaign(session, runtime, YEAR, "banc d'essai")
            session.commit()
            total_chunks = opened.chunks
        opened_s = time.perf_counter() - t0
        done = 0
        while done < total_chunks:
            with factory() as session:  # the relay, as ipt.relay does it
                due = outbox.due_for_offer(session)
                for job_id, _kind in due:
                    deliver.apply_async((job_id,), retry=False)
                outbox.mark_offered(session, [job_id for job_id, _ in due])
                session.commit()
            _total, done = chunk_counts(factory)
            if any(p.poll() is not None for p in workers.procs):
                raise RuntimeError("a worker died during the campaign (see its log)")
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        end = workers.memory()
        cpu = workers.cpu_seconds() - cpu0
        pg_cpu = server_cpu_seconds(factory) - pg0
        load = os.getloadavg()[0]
    finally:
        workers.stop()
    with factory() as session:
        prolongations = session.scalar(select(func.count(Prolongation.id)))
        instances = session.scalar(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.process_id == "prolongation_ipt"
            )
        )
        state_size = session.scalar(
            select(func.avg(func.length(ProcessInstance.state))).where(
                ProcessInstance.process_id == "prolongation_ipt"
            )
        )
        spans = [  # in the order the chunks were written (dossier ids ascending)
            (sent - claimed).total_seconds()
            for claimed, sent in session.execute(
                select(OutboxMessage.claimed_at, OutboxMessage.sent_at)
                .where(OutboxMessage.kind == "campaign_chunk", OutboxMessage.status == "sent")
                .order_by(OutboxMessage.id)
            )
        ]
    factory.kw["bind"].dispose()
    return {
        "spans": spans,
        "cpu": cpu,
        "pg_cpu": pg_cpu,
        "load": (load0, load),
        "wall": wall,
        "open": opened_s,
        "chunks": total_chunks,
        "prolongations": prolongations,
        "instances": instances,
        "state_size": float(state_size or 0),
        "warm": warm,
        "end": end,
    }


def sql_census(factory, runtime, job_id: int):
    """One chunk without the profiler: its wall time, and the SQL statements it sends (count and
    time per kind: verb and table) — what a round trip costs against the engine's own work."""
    import re
    from collections import defaultdict

    from sqlalchemy import event

    from engine.background import campaigns, outbox

    bind = factory.kw["bind"]
    stats = defaultdict(lambda: [0, 0.0])
    started = {}
    words = re.compile(r"^\s*(\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+))?", re.S | re.I)

    def before(conn, cursor, statement, params, context, many):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, params, context, many):
        m = words.match(statement)
        verb = m[1].upper() if m else "?"
        key = f"{verb} {m[2] or ''}".strip() if m and verb != "UPDATE" else statement.split()[:2]
        key = " ".join(key) if isinstance(key, list) else key
        row = stats[key]
        row[0] += 1
        row[1] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    with factory() as session:
        job = outbox.claim(session, job_id)
        session.commit()
    event.listen(bind, "before_cursor_execute", before)
    event.listen(bind, "after_cursor_execute", after)
    t0 = time.perf_counter()
    campaigns.run_chunk(factory, runtime, job)
    wall = time.perf_counter() - t0
    event.remove(bind, "before_cursor_execute", before)
    event.remove(bind, "after_cursor_execute", after)
    size = len(job.payload["dossier_ids"])
    count = sum(c for c, _ in stats.values())
    in_sql = sum(t for _, t in stats.values())
    print(
        f"\nrun_chunk of {size} dossiers, no profiler: {wall:.2f} s ({wall / size * 1000:.1f} ms "
        f"per dossier); {count} SQL statements ({count / size:.1f} per dossier) taking "
        f"{in_sql:.2f} s ({100 * in_sql / wall:.0f} %; {in_sql / count * 1000:.2f} ms each); "
        f"commit not included"
    )
    print(f"{'statement':40}{'count':>8}{'per dossier':>13}{'total ms':>10}")
    for key, (c, t) in sorted(stats.items(), key=lambda kv: -kv[1][1]):
        print(f"{key[:40]:40}{c:>8}{c / size:>13.1f}{t * 1000:>10.0f}")


def profile_chunk(args, url: str, tmp: Path):
    """cProfile of `campaigns.run_chunk` on one chunk of `--chunk` dossiers, in this process."""
    from engine.background import campaigns, outbox
    from engine.bootstrap import build_runtime
    from engine.models import OutboxMessage

    env = {
        **os.environ,
        "IPT_DATABASE_URL": url,
        "IPT_INSTANCE_DIR": str(tmp),
        "IPT_TODAY": TODAY.isoformat(),
        "IPT_CAMPAIGN_CHUNK_SIZE": str(args.chunk),
    }
    import logging

    for name in ("spiff", "SpiffWorkflow"):
        logging.getLogger(name).setLevel(logging.WARNING)
    runtime, factory = build_runtime(Settings.from_env(env))
    seed(factory, max(args.n, 3 * args.chunk))
    clock.set_today(TODAY)
    with factory() as session:
        campaigns.open_campaign(session, runtime, YEAR, "banc d'essai")
        session.commit()
        first, second, third = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.kind == "campaign_chunk")
            .order_by(OutboxMessage.id)
            .limit(3)
        ).all()
    outbox.process(factory, runtime, first)  # warm (caches, compiled scripts, connections)
    sql_census(factory, runtime, third)
    with factory() as session:
        job = outbox.claim(session, second)
        session.commit()
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    outcome = campaigns.run_chunk(factory, runtime, job)
    profiler.disable()
    wall = time.perf_counter() - t0
    size = len(job.payload["dossier_ids"])
    print(
        f"\nrun_chunk of {size} dossiers: {outcome} in {wall:.2f} s "
        f"({wall / size * 1000:.1f} ms per dossier, under cProfile)"
    )
    stats = pstats.Stats(profiler)
    by_lib = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            lib = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif filename.startswith(str(ROOT)):
            lib = "/".join(Path(filename).relative_to(ROOT).parts[:2])
        elif filename == "~":
            lib = "builtins (C)"
        else:
            lib = "stdlib"
        by_lib[lib] = by_lib.get(lib, 0.0) + tottime
    print(f"{'own time by library':40}{'s':>8}{'%':>6}")
    for lib, t in sorted(by_lib.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{lib:40}{t:>8.2f}{100 * t / wall:>6.0f}")
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    factory.kw["bind"].dispose()


# -- report ----------------------------------------------------------------------------------------
def mib(kib: int) -> float:
    return kib / 1024


def report(args, result: dict, floor_rate: float, floor_size: float, procs: int):
    rate = args.n / result["wall"]
    quarter = max(len(result["spans"]) // 4, 1)
    first, last = result["spans"][:quarter], result["spans"][-quarter:]
    spans = sorted(result["spans"])
    print(
        f"\n== campaign: N = {args.n}, {args.workers} worker(s) ({args.pool}), chunks of "
        f"{args.chunk} ({result['chunks']}), PostgreSQL + Redis"
    )
    rows = [
        ("campaign wall time (open → last chunk)", f"{result['wall']:.1f} s"),
        ("  of which open_campaign", f"{result['open']:.2f} s"),
        ("prolongations / instances created", f"{result['prolongations']} / {result['instances']}"),
        ("campaign rate", f"{rate:.0f} dossiers/s"),
        ("  per worker", f"{rate / args.workers:.0f} dossiers/s"),
        (f"floor ({procs} processes, no database)", f"{floor_rate:.0f} instances/s"),
        ("ratio floor / campaign", f"{floor_rate / rate:.2f}x"),
        (
            "chunk time in a worker: min / median / max",
            f"{spans[0]:.2f} / {spans[len(spans) // 2]:.2f} / {spans[-1]:.2f} s" if spans else "—",
        ),
        (
            "median chunk time, first / last quarter",
            f"{sorted(first)[len(first) // 2]:.2f} / {sorted(last)[len(last) // 2]:.2f} s"
            if spans
            else "—",
        ),
        (
            "worker CPU per dossier (user + sys)",
            f"{result['cpu'] / args.n * 1000:.1f} ms",
        ),
        (
            "PostgreSQL CPU per dossier (its backends)",
            f"{result['pg_cpu'] / args.n * 1000:.1f} ms",
        ),
        ("machine load average at start / end", "{:.1f} / {:.1f}".format(*result["load"])),
        ("state size (campaign / floor)", f"{result['state_size']:.0f} / {floor_size:.0f} B"),
    ]
    for i, (warm, end) in enumerate(zip(result["warm"], result["end"], strict=False)):
        rows.append(
            (
                f"worker {i} RSS warm → end (peak)",
                f"{mib(warm.get('VmRSS', 0)):.0f} → {mib(end.get('VmRSS', 0)):.0f} MiB "
                f"({mib(end.get('VmHWM', 0)):.0f} MiB)",
            )
        )
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        print(f"{label:{width}}{value:>22}")
    print(TARGETS)
    ok = []
    if args.n >= 20_000 and args.workers == 2:
        ok.append(f"400 dossiers/s: {'met' if rate >= 400 else 'NOT met'}")
    ok.append(f"≤ 1.5x the floor: {'met' if floor_rate / rate <= 1.5 else 'NOT met'}")
    print("  " + " · ".join(ok))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="dossiers in IPT (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (default 2)")
    parser.add_argument("--pool", choices=("solo", "prefork"), default="solo")
    parser.add_argument("--pg", metavar="URL", default=PG, help=f"PostgreSQL server (default {PG})")
    parser.add_argument("--redis", metavar="URL", default=REDIS, help=f"broker (default {REDIS})")
    parser.add_argument("--chunk", type=int, default=200, help="campaign chunk size (default 200)")
    parser.add_argument("--keep", action="store_true", help="keep the database (printed)")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor measurement")
    parser.add_argument(
        "--profile", action="store_true", help="only profile run_chunk on one chunk, in-process"
    )
    args = parser.parse_args(argv)
    if not args.profile and args.redis.rstrip("/").rsplit("/", 1)[-1] in ("0", "6379"):
        parser.error("--redis: give a database other than 0 (it is flushed), e.g. …:6379/5")
    print(f"IPT campaign bench, N = {args.n}, today = {TODAY} ({TODAY:%A})")

    name = f"ipt_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.pg.rsplit("/", 1)[0] + "/" + name
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    eng.dispose()
    redis_client = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.profile:
                profile_chunk(args, url, Path(tmp))
                return
            import redis

            redis_client = redis.Redis.from_url(args.redis)
            redis_client.flushdb()
            result = run_campaign(args, url, Path(tmp))
        procs = os.cpu_count() or 1
        floor_rate, floor_size = (
            floor(args.n, Path(os.environ.get("IPT_PROCESSES_DIR") or ROOT / "processes"), procs)
            if not args.no_floor
            else (float("nan"), 0.0)
        )
        report(args, result, floor_rate, floor_size, procs)
    finally:
        if redis_client is not None:
            redis_client.flushdb()
        if args.keep:
            print(f"\ndatabase kept: {url}")
        else:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
