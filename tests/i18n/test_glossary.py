"""The catalogs use the project's glossary (docs/glossary.yaml, 83 concepts): for each concept, every msgid that
contains the English term has, in each language, a msgstr containing that language's term (a stem, so inflected
forms count), none of the synonyms the review removed, and the exact label where the msgid is the bare label.

Reading the catalogs needs no database: these tests run without one."""

import re
from pathlib import Path

import polib
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("cs", "es", "pl")
GLOSSARY = yaml.safe_load((ROOT / "docs" / "glossary.yaml").read_text(encoding="utf-8"))["concepts"]
# A msgctxt a concept is declared for ("sales stage" Won) has its own label: the status's label is not asked of it.
CONTEXTS = {concept["context"] for concept in GLOSSARY if "context" in concept}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
TAG = re.compile(r"<[^>]+>")

# Where a msgid contains the English word but not the concept, or the language rightly says it another way.
# (concept, language, msgid) -> why. Keep it short: each line is a reviewed decision.
ALLOWED = {
    # Spanish says "ponerse en contacto" for "reach out"; this sentence names no contact (the record) at all.
    ("contact", "es", "Reach out as soon as possible: a quick answer improves your chance of winning this deal."):
        "no contact record named",
}


def _entries(lang):
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))


CATALOGS = {lang: _entries(lang) for lang in LANGS}


def _clean(text):
    return " ".join(TAG.sub(" ", PLACEHOLDER.sub(" ", text)).split())


def _msgstrs(entry):
    if entry.msgid_plural:
        return [s for s in entry.msgstr_plural.values()]
    return [entry.msgstr]


def _is_label(concept, msgid):
    """The msgid is the concept's bare, capitalised label (a button, a status, a tab), not a sentence using it."""
    if "label_en" in concept:
        return msgid == concept["label_en"]
    return concept["en"].startswith("^") and msgid[:1].isupper() and bool(re.fullmatch(concept["en"], msgid, re.I))


def glossary_violations(lang, catalog=None):
    """[(concept id, msgid, msgstr, what is wrong)] for one language's catalog."""
    found = []
    for entry in catalog if catalog is not None else CATALOGS[lang]:
        if entry.obsolete or not entry.translated() or "fuzzy" in entry.flags:
            continue
        msgid = _clean(entry.msgid)
        for concept in GLOSSARY:
            if "context" in concept and entry.msgctxt != concept["context"]:
                continue
            if not re.search(concept["en"], msgid, re.IGNORECASE):
                continue
            if (concept["id"], lang, entry.msgid) in ALLOWED:
                continue
            rule = concept[lang]
            for msgstr in _msgstrs(entry):
                text = _clean(msgstr)
                own_label = "context" in concept or entry.msgctxt not in CONTEXTS
                if rule.get("label") and own_label and _is_label(concept, msgid):
                    if text != rule["label"]:
                        found.append((concept["id"], entry.msgid, msgstr, f"label must be {rule['label']!r}"))
                    continue
                if rule.get("match") and not re.search(rule["match"], text, re.IGNORECASE):
                    found.append((concept["id"], entry.msgid, msgstr, f"lacks {rule['term']!r}"))
                if rule.get("avoid") and re.search(rule["avoid"], text, re.IGNORECASE):
                    found.append((concept["id"], entry.msgid, msgstr, f"uses {rule['avoid']!r}, not {rule['term']!r}"))
    return found


def test_the_glossary_names_83_concepts_each_with_a_term_per_language():
    assert len(GLOSSARY) == 83
    ids = [c["id"] for c in GLOSSARY]
    assert len(set(ids)) == len(ids)
    for concept in GLOSSARY:
        re.compile(concept["en"])
        for lang in LANGS:
            rule = concept[lang]
            assert rule["term"], (concept["id"], lang)
            assert rule.get("match") or rule.get("label"), (concept["id"], lang)


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_uses_the_glossary_terms(lang):
    problems = glossary_violations(lang)
    report = "\n".join(f"  [{cid}] {msgid!r} -> {msgstr!r}: {why}" for cid, msgid, msgstr, why in problems)
    assert not problems, f"{len(problems)} msgids of the {lang} catalog differ from docs/glossary.yaml:\n{report}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_check_fails_on_a_catalog_that_mixes_terms(lang):
    """The check itself can fail: a msgstr with the English term and a synonym the review removed is reported."""
    bad = {"cs": "Potenciální zákazník", "es": "Cliente", "pl": "Leady"}[lang]
    catalog = [polib.POEntry(msgid="Leads", msgstr=bad)]
    assert {v[0] for v in glossary_violations(lang, catalog)} == {"lead"}


def test_the_allow_list_names_only_msgids_that_exist():
    for concept_id, lang, msgid in ALLOWED:
        assert concept_id in {c["id"] for c in GLOSSARY}, concept_id
        assert CATALOGS[lang].find(msgid) is not None, (lang, msgid)


def test_docs_glossary_md_is_generated_from_the_yaml():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bin_glossary", ROOT / "bin" / "glossary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    render = module.render
    assert (ROOT / "docs" / "GLOSSARY.md").read_text(encoding="utf-8") == render(GLOSSARY)
