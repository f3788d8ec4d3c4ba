"""Screenshots of the page tests; README's pictures come from here."""
import os
from pathlib import Path

SCREENSHOTS = os.environ.get("PRETIX_HUBSPOT_SCREENSHOTS")


def snapshot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
