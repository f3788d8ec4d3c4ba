"""Screenshots of the page tests; the pictures of the README and docs/organizer-guide.md come from here."""
import os
from pathlib import Path

SCREENSHOTS = os.environ.get("PRETIX_HUBSPOT_SCREENSHOTS")


def settle(page):
    """Waits for running animations (pretix's sliding boxes, Bootstrap's fading dialogs) to finish."""
    page.wait_for_function("() => !(window.jQuery && window.jQuery(':animated').length)")
    page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished)).then(() => true)")


def snapshot(page, name):
    if SCREENSHOTS:
        settle(page)
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


# axe-core comes from npm (tools/axe/package.json), never from the network at test time.
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# What a screen reader or keyboard user cannot get past; "moderate" and "minor" findings are pretix's own style.
BLOCKING_IMPACTS = ("serious", "critical")


def accessibility_violations(page, include="#page-wrapper"):
    """
    axe-core's serious and critical findings on the page as it is now (``include``: a CSS selector to check only part
    of it), each as one readable line: rule, impact, help text and the offending elements.
    """
    if not AXE_SCRIPT.exists():
        raise AssertionError(
            f"axe-core is missing ({AXE_SCRIPT}). Install it with: npm ci --prefix tools/axe (or make axe)")
    # Evaluated through the DevTools protocol: pretix's Content-Security-Policy forbids injected <script> tags.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (include) => await axe.run(include || document, "
        "{resultTypes: ['violations']})",
        include,
    )
    return [
        "{id} ({impact}): {help} — {targets}".format(
            id=v["id"], impact=v["impact"], help=v["help"],
            targets="; ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                              for node in v["nodes"][:5]),
        )
        for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS
    ]


def assert_accessible(page, include="#page-wrapper"):
    violations = accessibility_violations(page, include)
    assert not violations, "axe-core found accessibility problems on {}:\n{}".format(page.url, "\n".join(violations))
