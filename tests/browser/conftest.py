"""Browser tests drive Debian's Chromium against pytest-django's live server."""

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def sign_in(live_server):
    """`sign_in(page, email, password)` fills the real sign-in form and submits it."""

    def _sign_in(page, email, password):
        page.goto(f"{live_server.url}/auth/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_load_state("domcontentloaded")

    return _sign_in
