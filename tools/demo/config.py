"""Where the demo keeps its files, which ports it uses, and the pretix.cfg it writes."""
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = Path(os.environ.get("DEMO_DIR", REPO / "demo-data")).resolve()
# Kept between runs: migrated database snapshots and the logs of the last run.
SNAPSHOT_DIR = DEMO_DIR / "snapshots"
LOG_DIR = DEMO_DIR / "logs"
PID_DIR = DEMO_DIR / "pids"
# Laid anew on every run and removed on exit: the pretix instance (config, database, media).
INSTANCE_DIR = DEMO_DIR / "instance"
DATA_DIR = INSTANCE_DIR / "data"
CONFIG_FILE = INSTANCE_DIR / "pretix.cfg"

PYTHON = sys.executable
HOST = "127.0.0.1"
DEFAULT_PRETIX_PORT = int(os.environ.get("DEMO_PRETIX_PORT", "8000"))
DEFAULT_SANDBOX_PORT = int(os.environ.get("DEMO_SANDBOX_PORT", "8765"))

ADMIN_EMAIL = "admin@demo.example"
ADMIN_PASSWORD = "Demo-Admin-2027"
ORGANIZER_SLUG = "demo"
ORGANIZER_NAME = "Demo Events Ltd"
EVENT_SLUG = "pyconf"
EVENT_NAME = "PyConf 2027"


@dataclass
class Ports:
    pretix: int
    sandbox: int

    @property
    def pretix_url(self):
        return f"http://{HOST}:{self.pretix}"

    @property
    def sandbox_url(self):
        return f"http://{HOST}:{self.sandbox}"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def choose_port(preferred: int) -> int:
    """The preferred port if nobody listens there (a stale demo was cleaned up before), else any free one."""
    return preferred if port_is_free(preferred) else free_port()


def pretix_env(config_file: Path = CONFIG_FILE) -> dict:
    env = dict(os.environ)
    env.update({
        "PRETIX_CONFIG_FILE": str(config_file),
        "DJANGO_SETTINGS_MODULE": "pretix.settings",
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
        # pretix's runserver starts vite (npm) in DEBUG unless it believes it is the reloaded child.
        "RUN_MAIN": "true",
        "PYTHONUNBUFFERED": "1",
    })
    # Variables of an outer test run must not pick another database.
    for key in list(env):
        if key.startswith("PRETIX_DATABASE_") or key == "DATA_DIR":
            del env[key]
    return env


def write_pretix_config(path: Path, *, data_dir: Path, database: Path, pretix_url: str, hubspot: dict = None):
    """A pretix.cfg for a single-process SQLite instance; ``hubspot`` carries the app credentials and hosts."""
    lines = [
        "[pretix]",
        "instance_name=pretix HubSpot demo",
        f"url={pretix_url}",
        "currency=EUR",
        f"datadir={data_dir}",
        # No network but the sandbox: no currency rates, and HTTP to 127.0.0.1 (the sandbox) must be allowed.
        "ecb_rates=off",
        "allow_http_to_private_networks=true",
        "",
        "[database]",
        "backend=sqlite3",
        f"name={database}",
        "",
        "[mail]",
        "from=pretix@localhost",
        "host=127.0.0.1",
        "port=1025",
        "",
        "[django]",
        "debug=on",
        "",
    ]
    if hubspot:
        lines.append("[hubspot]")
        lines.extend(f"{key}={value}" for key, value in hubspot.items())
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
