"""The language choice by keyboard: the arrow keys move the choice without reloading the
page (a keyboard user can step to the language they want), Enter applies it; a pick
with the mouse applies at once."""

import pytest

from tests.factories import EmployeeFactory, UserFactory
from tests.test_browser_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_arrows_move_the_choice_and_enter_applies_it(browser_page, live_server):
    EmployeeFactory(name="Ann", user=UserFactory(username="ann"))
    page, base = browser_page, live_server.url
    sign_in(page, base, "ann")
    choice = page.locator("#language-choice")
    choice.focus()
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.keyboard.press("ArrowDown")  # Browser's language -> English
    page.keyboard.press("ArrowDown")  # -> 中文
    page.wait_for_timeout(500)
    assert navigations == []
    assert choice.input_value() == "zh-hans"
    assert page.locator("#language-apply").is_visible()  # the button to apply it
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.locator("#language-choice").select_option("en")  # a pick applies at once
    assert page.locator("html").get_attribute("lang") == "en"
