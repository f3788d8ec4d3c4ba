"""
The documentation against the code: docs/troubleshooting.md quotes messages the plugin really shows, every problem
message of the plugin is explained there, and what README.md and docs/ say about commands, scopes, settings, pictures
and each other is true.

Messages are quoted in the troubleshooting guide as blockquote lines ("> …"), with "…" where the message has a
placeholder.
"""
import ast
import re
from pathlib import Path

import pytest

from pretix_hubspot import __version__, conf
from pretix_hubspot.hubspot_api import scopes

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pretix_hubspot"
README = (ROOT / "README.md").read_text(encoding="utf-8")
TROUBLESHOOTING = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
INSTALLATION = (ROOT / "docs" / "installation.md").read_text(encoding="utf-8")
# Every document a reader may open: the README, the guides in docs/, the sandbox's own README.
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "hubspot_sandbox" / "README.md"]
ELLIPSIS = "…"

GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "pgettext", "pgettext_lazy"}
# Calls whose translatable arguments an organizer gets to read as the report of a problem.
REPORTING_METHODS = {"error", "warning", "add_error"}
EXCEPTION_NAME = re.compile(r"(Error|Required|Unavailable|Rejected|Scope|Conflict|NotFound|RateLimited|Denied)$")

# Problem messages that never reach anyone as they are: the code that catches them shows another, documented text.
NEVER_SHOWN = {
    # token introspection and account details after the consent: caught, shown as "HubSpot did not accept the
    # authorization …"
    "HubSpot did not accept the new access token.",
    "HubSpot did not let us read the account details (…).",
    # revoking on disconnect: caught, shown as "The access data has been deleted here, but HubSpot could not be told …"
    "HubSpot did not confirm that access was revoked (…).",
    # the reason stored on a connection marked "Reconnect required", which the page shows without it
    "No usable refresh token is stored.",
    # a fallback word inside "HubSpot denied access (…)"
    "missing permission",
}


def normalize(text: str) -> str:
    """One line, placeholders ({name}, %(name)d) written as "…", the way the troubleshooting guide quotes messages."""
    text = re.sub(r"%\(\w+\)[sd]|\{[\w.]*\}", ELLIPSIS, str(text))
    return " ".join(text.split())


def section(markdown: str, title: str) -> str:
    start = markdown.index("\n## " + title + "\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:end if end != -1 else None]


def quoted_messages():
    return [normalize(line[2:]) for line in TROUBLESHOOTING.splitlines() if line.startswith("> ")]


def python_files(folder: Path):
    return [p for p in sorted(folder.rglob("*.py")) if "migrations" not in p.parts]


def template_strings():
    found = []
    for path in sorted((PACKAGE / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found += re.findall(r'{%\s*trans\s+"([^"]*)"', text)
        found += re.findall(r"{%\s*blocktrans[^%]*%}(.*?){%\s*(?:plural|endblocktrans)\s*%}", text, re.S)
    return [" ".join(re.sub(r"{{\s*\w+\s*}}", ELLIPSIS, s).split()) for s in found]


def string_constants(paths):
    """Every string literal of the files (implicitly concatenated literals arrive joined), normalized."""
    strings = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.append(normalize(node.value))
    return strings


def _name(func):
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _translated_strings(node):
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call) and _name(inner.func) in GETTEXT_NAMES and inner.args:
            first = inner.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield normalize(first.value)


def problem_messages():
    """
    ``{message: place}`` for the translatable texts the plugin reports problems with: messages.error/warning, form
    errors, the exceptions it raises (whose text ends up on pages and in the order history), and the mapping
    validation's errors and warnings (``self.add(ERROR|WARNING, …)``).
    """
    found = {}
    for path in python_files(PACKAGE):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            reports = (
                (isinstance(node.func, ast.Attribute) and name in REPORTING_METHODS)
                or EXCEPTION_NAME.search(name)
                or (name == "add" and node.args and _name(node.args[0]) in ("ERROR", "WARNING"))
            )
            if reports:
                for argument in node.args + [k.value for k in node.keywords]:
                    for message in _translated_strings(argument):
                        found.setdefault(message, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _fragments(text):
    return [f for f in (f.strip(" .,:;()[]“”\"") for f in text.split(ELLIPSIS)) if len(f) >= 3]


def _is_quoted_from(quote, sources):
    if all(any(fragment in s for s in sources) for fragment in _fragments(quote)):
        return True
    # A plugin message with HubSpot's reason filled in, e.g. "HubSpot rejected the value: Email address … is invalid":
    # the quote fits the message's pattern and what stands in for the placeholder is quoted from somewhere, too.
    for source in sources:
        if ELLIPSIS not in source or len(source) < 10:
            continue
        pattern = "(.*)".join(re.escape(part) for part in source.split(ELLIPSIS))
        match = re.fullmatch(pattern, quote)
        if match and all(_is_quoted_from(group, [s for s in sources if s != source]) for group in match.groups()):
            return True
    return False


def test_troubleshooting_quotes_messages_that_exist():
    # HubSpot's own wording (e.g. "Email address … is invalid") is quoted as the sandbox reproduces it.
    sources = string_constants(python_files(PACKAGE) + python_files(ROOT / "hubspot_sandbox"))
    sources += template_strings()
    quotes = quoted_messages()
    assert len(quotes) > 50
    missing = [quote for quote in quotes if not _is_quoted_from(quote, sources)]
    assert not missing, "docs/troubleshooting.md quotes text the code does not contain:\n" + "\n".join(missing)


def test_every_problem_message_is_explained_in_troubleshooting():
    quotes = set(quoted_messages())
    messages = problem_messages()
    assert len(messages) > 40
    unexplained = [f"{place}: {message}" for message, place in sorted(messages.items(), key=lambda m: m[1])
                   if message not in quotes and message not in NEVER_SHOWN]
    assert not unexplained, "Explain these messages in docs/troubleshooting.md:\n" + "\n".join(unexplained)


def test_never_shown_messages_still_exist():
    # An entry for a message that was removed or reworded would hide nothing and should go.
    messages = problem_messages()
    assert NEVER_SHOWN <= set(messages)


def makefile_targets():
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))


def test_two_commands_are_make_targets():
    two_commands = section(README, "Two commands")
    commands = re.findall(r"^make (\w+)", two_commands, re.M)
    assert commands == ["demo", "test"]
    assert {"demo", "test"} <= makefile_targets()


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_make_target_the_documents_name_exists(document):
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", document.read_text(encoding="utf-8")))
    assert named <= makefile_targets(), named - makefile_targets()


def test_the_readme_names_make_targets():
    assert re.findall(r"\bmake ([a-z][\w-]*)", README), "the README names no make target"


def test_scopes_and_settings_in_the_install_section_are_the_code_s():
    install = section(INSTALLATION, "Installing into an existing pretix")
    for scope in scopes.REQUIRED_SCOPES + scopes.OPTIONAL_SCOPES:
        assert f"`{scope}`" in install, scope
    required_part = install.split("require the scopes", 1)[1].split("as optional scopes", 1)[0]
    required_list, optional_list = required_part.split(", and\n", 1) if ", and\n" in required_part else (required_part, "")
    assert set(re.findall(r"`([\w.]+)`", required_list)) == set(scopes.REQUIRED_SCOPES)
    assert set(re.findall(r"`([\w.]+)`", optional_list)) == set(scopes.OPTIONAL_SCOPES)
    for name, default in conf.DEFAULTS.items():
        assert re.search(rf"^\s*{name}=", install, re.M), f"pretix.cfg example lacks {name}"
        if default:
            assert f"{name}={default}" in install, f"pretix.cfg example shows another default for {name}"
    assert "/_hubspot/oauth_return/" in install


def pictures():
    """Each picture of each document, as a path relative to the repository (documents link relative to themselves)."""
    found = []
    for document in DOCUMENTS:
        for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", document.read_text(encoding="utf-8")):
            found.append(str((document.parent / link).resolve().relative_to(ROOT)))
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("picture", pictures())
def test_pictures_exist_and_are_small(picture):
    path = ROOT / picture
    assert path.is_file(), picture
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size < 250_000, f"{picture} is {path.stat().st_size} bytes"


def anchor(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(document):
    return {anchor(h) for h in re.findall(r"^#{1,6} (.+)$", document.read_text(encoding="utf-8"), re.M)}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_links_between_the_documents_lead_somewhere(document):
    # The guides link into each other by file and heading; a renamed heading or a moved section must not leave a
    # reader on a link that goes nowhere.
    broken = []
    for target in re.findall(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)", document.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue
        name, _, fragment = target.partition("#")
        path = (document.parent / name).resolve() if name else document
        if not path.exists():
            broken.append(target)
        elif fragment and path.suffix == ".md" and fragment not in anchors(path):
            broken.append(target)
    assert not broken, f"{document.relative_to(ROOT)} links to nothing: {broken}"


def test_changelog_has_an_entry_for_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[?{re.escape(__version__)}\]?", changelog, re.M), __version__
