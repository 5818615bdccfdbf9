"""Every page and every email in Czech, Spanish and Polish: no text left in English, no placeholder lost.

Pages: the URL resolver's every name (tests/authz lists how to build each one's arguments from the cast), rendered
by the first member of the cast the matrix lets in (GET 200, or a POST answering 400 with its form's errors), plus
the list tabs and views a query string picks. Emails: every template in templates/emails/, with a sample context.

"English" is judged against the catalog: a visible text node (or a line of an email) that equals an English msgid
whose translation is different, or reads like one of its sentences with the placeholders filled in, escaped
translation. Catalog entries must keep their msgid's placeholders (`%(name)s`), checked with polib.
"""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.db import transaction
from django.urls import get_resolver, reverse

from tests.authz.test_matrix import EXPECTATIONS, _walk

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("cs", "es", "pl")
# Who renders a page, in this order: the first the matrix lets in.
RENDERERS = ("partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin", "partner_b_user", "anonymous")
# Pages that are not the portal's own text: third-party screens, machine-readable answers, files.
SKIP_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/healthz", "/readyz", "/brand.css")
# Extra views of the same pages that a query string chooses (tabs, list views, filters).
VIEWS = [
    ("referrals:list", "tab=qualified"), ("referrals:list", "tab=favorites"), ("referrals:list", "tab=outbound"),
    ("referrals:list", "tab=closed"), ("opportunities:list", "view=all"), ("leads:list", "view=queues"),
]
# Text that may stay as it is in every language: brand and product names, codes, proper nouns of the test data.
ALLOWED_TEXT = {
    "PRM", "CSV", "API", "DUNS", "LOE", "CRM ID", "Message-ID", "Marketplace", "round-robin", "OpenAPI", "Redoc",
    "Spam", "Ping", "HTML", "URL", "ISO", "E-mail", "Email", "Portal", "Partner", "Status", "Info",
    # Product names a partner typed into the deal registrations of the test data (tests/registrations/factories.py).
    "Managed backup", "Security assessment",
}

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")
WS = re.compile(r"\s+")


def _norm(text):
    return WS.sub(" ", html.unescape(text)).strip().rstrip(":").strip()


def _catalog(lang):
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))


class EnglishDetector:
    """Knows the English msgids of one language's catalog that read differently in that language, and those it
    does not translate at all (untranslated or fuzzy: they reach the page in English)."""

    def __init__(self, lang):
        self.lang = lang
        self.exact = set()
        self.patterns = []  # (longest literal piece, compiled regex) for msgids with placeholders
        for entry in _catalog(lang):
            if entry.obsolete:
                continue
            translated = entry.translated() and "fuzzy" not in entry.flags
            msgstrs = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                if translated and all(_norm(s) == _norm(msgid) for s in msgstrs):
                    continue  # the same words in this language (a brand, "CSV")
                for line in msgid.split("\n"):
                    self._add(line)

    def _add(self, line):
        text = _norm(re.sub(r"<[^>]+>", " ", line))
        if not text or not re.search(r"[A-Za-z]{2}", text):
            return
        if not PLACEHOLDER.search(text):
            if text not in ALLOWED_TEXT:
                self.exact.add(text)
            return
        pieces = [p.strip() for p in PLACEHOLDER.split(text)[::3] if p and p.strip()]
        literal = max(pieces, key=len, default="")
        if len(literal) < 12:  # "%(n)s min": too little text to tell English from data
            return
        regex = re.escape(text)
        regex = re.sub(r"%\\\(\w+\\\)[sdif]|%[sdif]", ".+?", regex)
        self.patterns.append((literal, re.compile(f"^{regex}$")))

    def english(self, text):
        text = _norm(text)
        if not text or text in ALLOWED_TEXT:
            return False
        if text in self.exact:
            return True
        return any(literal in text and rx.match(text) for literal, rx in self.patterns)


class TextNodes(HTMLParser):
    """The visible text of a page: text nodes (not script/style) and the attributes a person reads or hears."""

    ATTRS = ("placeholder", "title", "aria-label", "alt")

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, lang=None):
        super().__init__(convert_charrefs=True)
        self.nodes, self._skip, self.lang, self._foreign = [], 0, lang, []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attrs = dict(attrs)
        if tag not in self.VOID:  # inside lang="en" on a Czech page, English is what the author meant
            other = bool(self.lang and attrs.get("lang") and attrs["lang"].split("-")[0] != self.lang
                         and tag != "html")
            self._foreign.append((tag, other))
        if any(other for _tag, other in self._foreign):
            return
        for name in self.ATTRS:
            if attrs.get(name):
                self.nodes.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.nodes.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        for i in range(len(self._foreign) - 1, -1, -1):
            if self._foreign[i][0] == tag:
                del self._foreign[i:]
                break

    def handle_data(self, data):
        if not self._skip and data.strip() and not any(other for _tag, other in self._foreign):
            self.nodes.append(data)


def _text_nodes(content, lang=None):
    parser = TextNodes(lang)
    parser.feed(content)
    return parser.nodes


def _page_requests():
    """(label, url name, entry, query) for every page a renderer can open."""
    names = sorted({name for name, _pattern in _walk(get_resolver().url_patterns) if name})
    for name in names:
        entry = EXPECTATIONS.get(name)  # a URL with no entry fails tests/authz/test_matrix.py, not this test
        if entry is not None:
            yield name, entry, entry.query
    for name, query in VIEWS:
        yield name, EXPECTATIONS[name], query


def _renderer(entry, api):
    for role in RENDERERS:
        status = entry.expected(role, api=api)
        if (entry.method == "get" and status == 200) or (entry.method == "post" and status == 400):
            return role
    return None


class _Undo(Exception):
    """Rolls one page's records back: each page starts from the cast alone, as in the authorization matrix."""


def _english_on_pages(lang, cast, client, django_capture_on_commit_callbacks):
    detector = EnglishDetector(lang)
    found, rendered = {}, 0
    for name, entry, query in _page_requests():
        try:
            with transaction.atomic():
                rendered += _check_page(name, entry, query, detector, found, cast, client,
                                        django_capture_on_commit_callbacks)
                raise _Undo
        except _Undo:
            pass
    return found, rendered


def _check_page(name, entry, query, detector, found, cast, client, django_capture_on_commit_callbacks):
    """1 when the page rendered as HTML and was read, else 0."""
    with django_capture_on_commit_callbacks(execute=True):
        kwargs = entry.kwargs(cast) if entry.kwargs else {}
    url = reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")
    if url.startswith(SKIP_PREFIXES):
        return 0
    role = _renderer(entry, api=False)
    if role is None:
        return 0
    lang = detector.lang
    client.logout()
    if role != "anonymous":
        client.force_login(getattr(cast, role))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    if entry.method == "post":
        response = client.post(url, entry.data(cast) if entry.data else {}, **entry.extra)
    else:
        response = client.get(url, **entry.extra)
    if "text/html" not in response.get("Content-Type", ""):
        return 0
    for node in _text_nodes(response.content.decode(), lang):
        if detector.english(node):
            found.setdefault(_norm(node), set()).add(f"{name} ({role})")
    return 1


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_every_page_is_in_the_viewers_language(lang, cast, client, django_capture_on_commit_callbacks):
    found, rendered = _english_on_pages(lang, cast, client, django_capture_on_commit_callbacks)
    assert rendered > 50, f"only {rendered} pages rendered: the walk lost its way"
    report = "\n".join(f"  {text!r} on {', '.join(sorted(where))}" for text, where in sorted(found.items()))
    assert not found, f"English left on {lang} pages:\n{report}"


# --- emails ------------------------------------------------------------------------------------------------------

class Sample(int):
    """Any value an email template asks for: text, an object with attributes, a list of them, or a number (2) where
    a plural's count or a filter needs one."""

    def __new__(cls, label="Sample"):
        value = super().__new__(cls, 2)
        value.label = label
        return value

    def __str__(self):
        return self.label

    # Labels look like no English word: a value must never pass for a msgid ("Need", "Comment").
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Sample(f"{self.label}.{name}")

    def __getitem__(self, key):
        return Sample(f"{self.label}.{key}")

    def __iter__(self):
        return iter([Sample(f"{self.label}.1"), Sample(f"{self.label}.2")])

    def __len__(self):
        return 2

    def __bool__(self):
        return True

    def __call__(self, *args, **kwargs):  # a method the template (or a filter) calls: `item.get("sla")`
        return Sample(f"{self.label} result")


NUMBERS = {"count": 3, "days": 14, "days_left": 3, "n": 3, "hours": 24, "more": 2, "total": 5}
URLS = {"url", "portal_url", "login_url", "set_password_url", "password_reset_url", "unsubscribe_url",
        "preferences_url", "finder_url", "breaches_url", "endpoint_url"}


def email_keys():
    return sorted({p.name.rsplit("_", 1)[0] for p in (ROOT / "templates" / "emails").glob("*_subject.txt")})


def _email_context(key):
    names = set()
    for path in (ROOT / "templates" / "emails").glob(f"{key}_*"):
        source = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"\{\{\s*([a-z_][a-z_0-9]*)", source))
        names |= set(re.findall(r"(?:with|count)\s+(?:[a-z_]+=)?([a-z_][a-z_0-9]*)", source))
        names |= set(re.findall(r"\w+=([a-z_][a-z_0-9]*)", source))
        names |= set(re.findall(r"\{%\s*for\s+\w+\s+in\s+([a-z_][a-z_0-9]*)", source))
        names |= set(re.findall(r"\{%\s*if\s+([a-z_][a-z_0-9]*)", source))
    context = {}
    for name in names - {"brand", "with", "in"}:
        if name in NUMBERS:
            context[name] = NUMBERS[name]
        elif name in URLS or name.endswith("_url"):
            context[name] = f"https://portal.example/{name}/"
        else:
            context[name] = Sample(f"«{name}»")
    return context


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_every_email_is_in_the_recipients_language(lang):
    from prm_portal.core.emails import email_render

    detector = EnglishDetector(lang)
    found = {}
    keys = email_keys()
    assert len(keys) >= 10
    for key in keys:
        subject, text, body_html = email_render(template_key=key, context=_email_context(key), language=lang)
        for line in [subject, *text.splitlines(), *_text_nodes(body_html)]:
            if detector.english(line):
                found.setdefault(_norm(line), set()).add(key)
    report = "\n".join(f"  {text!r} in {', '.join(sorted(where))}" for text, where in sorted(found.items()))
    assert not found, f"English left in {lang} emails:\n{report}"


# --- the catalogs' placeholders ------------------------------------------------------------------------------------

def placeholder_mismatches(catalog):
    """[(msgid, msgstr, why)]: a msgstr must use exactly its msgid's named placeholders (a plural's first form may
    leave the number out, e.g. "one message")."""
    problems = []
    for entry in catalog:
        if entry.obsolete or not entry.translated():
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        positional = entry.msgid.count("%s") + entry.msgid.count("%d")
        forms = (sorted(entry.msgstr_plural.items()) if entry.msgid_plural else [(None, entry.msgstr)])
        for index, msgstr in forms:
            got = set(PLACEHOLDER.findall(msgstr))
            if entry.msgid_plural and index == 0:
                ok = got <= wanted
            else:
                ok = got == wanted and (msgstr.count("%s") + msgstr.count("%d")) == positional
            if not ok:
                problems.append((entry.msgid, msgstr, f"has {sorted(got)}, msgid has {sorted(wanted)}"))
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_their_placeholders(lang):
    problems = placeholder_mismatches(_catalog(lang))
    report = "\n".join(f"  {msgid!r} -> {msgstr!r}: {why}" for msgid, msgstr, why in problems)
    assert not problems, f"{lang} catalog:\n{report}"


def test_the_placeholder_check_reports_a_lost_name():
    entry = polib.POEntry(msgid="Hello %(name)s, %(count)s new", msgstr="Ahoj %(jmeno)s, %(count)s nové")
    assert [p[0] for p in placeholder_mismatches([entry])] == [entry.msgid]


def test_the_detector_finds_an_english_sentence_with_its_placeholders_filled():
    detector = EnglishDetector("cs")
    assert detector.english("Referral expired: Alpha Cloud migration")
    assert detector.english("  Leads ")
    assert not detector.english("Zájemci")
