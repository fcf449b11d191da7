"""save_steps' page (the explorer opened on the backward pass) in a real headless Chromium:
loads cleanly at the seed step, the buttons and the arrow keys step, nodes never move."""
from __future__ import annotations

import shutil

import pytest

import viz
from headless import chromium, needs_chromium
from test_viz_graph import apple_graph

pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
]


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path / "profile", page_load_timeout=15) as driver:
        yield driver


def visible_svg_text(driver) -> set[str]:
    return set(driver.execute_script(
        "return Array.from(document.querySelectorAll('svg text')).filter(function (t) { "
        "return getComputedStyle(t).visibility === 'visible'; }).map(function (t) { "
        "return t.textContent; });"))


def test_step_page_in_headless_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    price, *_ = apple_graph()
    price.backward()
    page = viz.save_steps(price, tmp_path / "steps.html")
    browser.get(f"file://{page}")
    counter = browser.find_element(By.CSS_SELECTOR, ".tg-counter")
    text = browser.find_element(By.CSS_SELECTOR, ".tg-steptext")
    assert counter.text == "step 1 / 3"  # the seed: dprice/dprice = 1
    assert "grad 2.2" not in visible_svg_text(browser)  # the leaves' gradients come at the end
    assert "grad 1" in visible_svg_text(browser) and "Seed" in text.text
    positions = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.node')).map(function (g) { "
        "var b = g.getBBox(); return [b.x, b.y, b.width, b.height]; });")

    browser.find_element(By.CSS_SELECTOR, ".tg-next").click()
    assert counter.text == "step 2 / 3"
    assert "1 × 200 = 200" in text.text
    browser.find_element(By.CSS_SELECTOR, ".tg-next").click()
    assert counter.text == "step 3 / 3"
    texts = visible_svg_text(browser)
    for number in ("2.2", "110", "200", "grad 2.2", "grad 110", "grad 200", "220"):
        assert number in texts  # the lecture's gradients, all shown at the last step
    assert browser.find_element(By.CSS_SELECTOR, ".tg-next").get_attribute("disabled") is not None

    browser.find_element(By.CSS_SELECTOR, ".tg-prev").click()
    assert counter.text == "step 2 / 3"
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert counter.text == "step 3 / 3"
    body.send_keys(Keys.ARROW_RIGHT)  # stays on the last step
    assert counter.text == "step 3 / 3"
    body.send_keys(Keys.ARROW_LEFT)
    assert counter.text == "step 2 / 3"
    assert browser.execute_script(
        "return Array.from(document.querySelectorAll('g.node')).map(function (g) { "
        "var b = g.getBBox(); return [b.x, b.y, b.width, b.height]; });") == positions

    assert browser.execute_script("return window.vizErrors") == []
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
