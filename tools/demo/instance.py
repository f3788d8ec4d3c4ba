"""
The pretix instance: a fresh SQLite database for every run, restored from a migrated snapshot.

Migrating pretix from scratch takes minutes on SQLite, so the migrated database is kept in
``demo-data/snapshots/``, keyed by the pretix version and the plugin's migration files: a new pretix or a new
migration of the plugin makes a new snapshot, anything else reuses it.
"""
import hashlib
import shutil
import subprocess
import time
from importlib.metadata import version
from pathlib import Path

from tools.demo import config
from tools.demo.output import step

MIGRATIONS_DIR = config.REPO / "pretix_hubspot" / "migrations"


def snapshot_key() -> str:
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return "pretix-{}-plugin-{}".format(version("pretix"), digest.hexdigest()[:12])


def snapshot_path() -> Path:
    return config.SNAPSHOT_DIR / f"db-{snapshot_key()}.sqlite3"


def run_pretix(args, *, log_name, config_file=config.CONFIG_FILE, check=True, capture=False):
    """Runs ``python -m pretix …`` (or ``python -m <module>`` when args start with ``-m``) against the instance."""
    argv = [config.PYTHON] + (args if args[0] == "-m" else ["-m", "pretix"] + args)
    config.LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = config.LOG_DIR / f"{log_name}.log"
    with open(log_path, "a") as log:
        log.write("$ {}\n".format(" ".join(argv)))
        log.flush()
        proc = subprocess.run(argv, env=config.pretix_env(config_file), cwd=config.REPO,
                              stdout=subprocess.PIPE if capture else log, stderr=log, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError("`{}` failed (exit {}); see {}".format(" ".join(args), proc.returncode, log_path))
    return proc.stdout if capture else proc.returncode


def build_snapshot(target: Path):
    work = config.SNAPSHOT_DIR / "build"
    shutil.rmtree(work, ignore_errors=True)
    database = work / "data" / "db.sqlite3"
    cfg = work / "pretix.cfg"
    config.write_pretix_config(cfg, data_dir=work / "data", database=database, pretix_url="http://127.0.0.1")
    database.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run_pretix(["migrate", "--noinput"], log_name="migrate", config_file=cfg)
    for old in config.SNAPSHOT_DIR.glob("db-*.sqlite3"):
        old.unlink()
    tmp = target.with_suffix(".partial")
    shutil.copyfile(database, tmp)
    tmp.rename(target)  # atomic: an interrupted build never leaves a half-migrated snapshot behind
    shutil.rmtree(work, ignore_errors=True)
    return time.monotonic() - started


def prepare(ports: config.Ports, hubspot: dict):
    """Lays out a fresh instance directory with its pretix.cfg and a migrated database."""
    snapshot = snapshot_path()
    if snapshot.exists():
        step(f"Migrated database: reusing the snapshot {snapshot.name}")
    else:
        step("Migrating a new pretix database (about 2–3 minutes on SQLite, once per pretix version) …")
        took = build_snapshot(snapshot)
        step(f"Migrated in {took:.0f} s; snapshot kept as {snapshot.relative_to(config.REPO)}")
    shutil.rmtree(config.INSTANCE_DIR, ignore_errors=True)
    config.DATA_DIR.mkdir(parents=True)
    database = config.DATA_DIR / "db.sqlite3"
    shutil.copyfile(snapshot, database)
    config.write_pretix_config(config.CONFIG_FILE, data_dir=config.DATA_DIR, database=database,
                               pretix_url=ports.pretix_url, hubspot=hubspot)


def remove():
    shutil.rmtree(config.INSTANCE_DIR, ignore_errors=True)
