"""The step-by-step page in a real headless Chromium: loads cleanly, buttons and keys step."""
from __future__ import annotations

import os
import shutil

import pytest

import viz
from test_viz_graph import apple_graph

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                       reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium "
                              "chromium-driver)"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
]


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


def visible_frame(driver):
    from selenium.webdriver.common.by import By

    shown = [f for f in driver.find_elements(By.CSS_SELECTOR, "section.frame") if f.is_displayed()]
    assert len(shown) == 1
    return shown[0]


def svg_text(frame) -> set[str]:
    from selenium.webdriver.common.by import By

    return {t.text for t in frame.find_elements(By.CSS_SELECTOR, "svg text")}


def test_step_page_in_headless_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    price, *_ = apple_graph()
    price.backward()
    page = viz.save_steps(price, tmp_path / "steps.html")
    browser.get(f"file://{page}")
    counter = browser.find_element(By.ID, "counter")
    assert counter.text == "step 1 / 2"
    first = visible_frame(browser)
    assert "grad 2.2" not in svg_text(first)  # the leaves' gradients come at the end
    assert "1 × 200 = 200" in first.find_element(By.TAG_NAME, "pre").text

    browser.find_element(By.ID, "next").click()
    assert counter.text == "step 2 / 2"
    last = visible_frame(browser)
    assert last.get_attribute("id") != first.get_attribute("id")
    texts = svg_text(last)
    for number in ("2.2", "110", "200", "grad 2.2", "grad 110", "grad 200", "220"):
        assert number in texts  # the lecture's gradients, all shown at the last step
    assert browser.find_element(By.ID, "next").get_attribute("disabled") is not None

    browser.find_element(By.ID, "prev").click()
    assert counter.text == "step 1 / 2"
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert counter.text == "step 2 / 2"
    body.send_keys(Keys.ARROW_RIGHT)  # stays on the last step
    assert counter.text == "step 2 / 2"
    body.send_keys(Keys.ARROW_LEFT)
    assert counter.text == "step 1 / 2"
    assert visible_frame(browser).get_attribute("id") == first.get_attribute("id")

    assert browser.execute_script("return window.vizErrors") == []
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
