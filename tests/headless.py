"""The headless Chromium the browser tests drive (Debian's chromium and chromedriver).

    from headless import chromium, needs_chromium
    pytestmark = [pytest.mark.browser, needs_chromium]

    @pytest.fixture(scope="module")
    def browser(tmp_path_factory):
        with chromium(tmp_path_factory.mktemp("chromium")) as driver:
            yield driver
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
MISSING = f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"


def available() -> bool:
    """Whether both Chromium and chromedriver are installed (executable)."""
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


needs_chromium = pytest.mark.skipif(not available(), reason=MISSING)


@contextmanager
def chromium(profile: Path, window_size: str | None = None,
             page_load_timeout: float = 30) -> Iterator:
    """A headless Chromium through chromedriver, its profile in `profile`, the browser console
    logged (driver.get_log("browser")); quit on leaving."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run"]
    if window_size is not None:
        flags.append(f"--window-size={window_size}")
    for flag in flags + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(page_load_timeout)
    try:
        yield driver
    finally:
        driver.quit()
