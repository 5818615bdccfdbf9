#!/usr/bin/env python3
"""Write docs/GLOSSARY.md from docs/glossary.yaml (the terms the catalogs must use; tests/i18n/test_glossary.py).

    .venv/bin/python bin/glossary.py          # rewrite docs/GLOSSARY.md
    .venv/bin/python bin/glossary.py --check  # exit 1 when docs/GLOSSARY.md is not what the YAML gives
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "docs" / "glossary.yaml"
TARGET = ROOT / "docs" / "GLOSSARY.md"
LANGS = (("cs", "Czech"), ("es", "Spanish"), ("pl", "Polish"))

INTRO = """\
# Glossary: the portal's terms in Czech, Spanish and Polish

Generated from `docs/glossary.yaml` by `bin/glossary.py`; edit the YAML, not this file.
`tests/i18n/test_glossary.py` checks the catalogs (`locale/{cs,es,pl}/LC_MESSAGES/django.po`) against it: every
msgid that contains a concept's English term has, in each language, a msgstr with that language's term (inflected as
the grammar needs), none of the synonyms the review removed, and the exact label where the msgid is the bare label
(a button, a status, a tab).

The terms are the project's own, adopted from the reviewed glossary of the source documents (the Czech, Spanish and
Polish seeds) and the vendors' localised material (Microsoft Partner Center, Salesforce); a term with no source is a
proposal. Status values agree with the noun they label (a referral: cs *doporučení*, es *referencia*, pl
*polecenie*); tabs are plural. Where one English word carries two meanings the msgid has a `msgctxt`:
"Qualified" (lead status / *referral tab*), "Created", "Accepted", "Won" (referral status / *sales stage*),
"title" (*job title* / *resource title*), "name" (*person* / a record's name).

## Decisions where the project differs from its sources

"""


def _cell(rule):
    return rule["term"].replace("|", "\\|")


def render(concepts) -> str:
    out = [INTRO]
    for concept in concepts:
        if concept.get("decision"):
            out.append(f"- **{concept['id'].replace('_', ' ')}**: {concept['decision']}\n")
    out.append("\n## The terms\n\n| Concept | English (msgid pattern) | Czech | Spanish | Polish | Source |\n")
    out.append("| --- | --- | --- | --- | --- | --- |\n")
    for concept in concepts:
        english = concept["en"].replace("|", "\\|")
        if concept.get("context"):
            english += f" (msgctxt “{concept['context']}”)"
        cells = [concept["id"].replace("_", " "), f"`{english}`"] + [_cell(concept[code]) for code, _name in LANGS]
        cells.append(concept.get("source", "").replace("|", "\\|"))
        out.append("| " + " | ".join(cells) + " |\n")
    return "".join(out)


def main():
    text = render(yaml.safe_load(SOURCE.read_text(encoding="utf-8"))["concepts"])
    if "--check" in sys.argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print("docs/GLOSSARY.md is out of date: run .venv/bin/python bin/glossary.py", file=sys.stderr)
            sys.exit(1)
        return
    TARGET.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
