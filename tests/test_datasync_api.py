"""pretix's data-sync framework (experimental upstream) is reached through one module of the plugin only."""
import ast
from pathlib import Path

from pretix_hubspot import datasync_api

PACKAGE = Path(__file__).resolve().parents[1] / "pretix_hubspot"
PRETIX_DATASYNC = ("pretix.base.datasync", "pretix.base.models.datasync", "pretix.base.services.datasync")


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_only_datasync_api_imports_pretix_datasync():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "datasync_api.py" or "migrations" in path.parts:
            continue
        for module in imported_modules(path):
            if module.startswith(PRETIX_DATASYNC):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}: {module}")
    assert not offenders, "import these through pretix_hubspot.datasync_api:\n" + "\n".join(offenders)


def test_datasync_api_offers_what_it_lists():
    for name in datasync_api.__all__:
        assert getattr(datasync_api, name, None) is not None, name
