#!/usr/bin/env python3
"""Translation tooling for the Czech, Spanish and Polish catalogs (locale/<lang>/LC_MESSAGES/django.po).

    .venv/bin/python bin/translate.py --missing            # list the msgids still untranslated (or fuzzy)
    .venv/bin/python bin/translate.py --refresh FILE.json  # makemessages, apply FILE's translations, compile

FILE.json is a list of entries: {"msgid": "...", "msgctxt": "..." (optional), "msgid_plural": "..." (optional),
"cs": "...", "es": "...", "pl": "..."}; a plural entry gives lists of forms per language. An entry whose msgid is
not in a catalog is reported, not added (makemessages decides what the catalogs hold). The whole run holds a lock
(var/locale.lock), so several people refreshing the catalogs at once do not overwrite each other's work.
"""

import argparse
import fcntl
import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("cs", "es", "pl")
PY = str(ROOT / ".venv" / "bin" / "python")


def catalog_path(lang):
    return ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"


def refresh():
    subprocess.run([PY, "manage.py", "makemessages", "-l", "cs", "-l", "es", "-l", "pl", "--ignore=.venv",
                    "--ignore=tests", "--ignore=staticfiles", "--ignore=var", "--no-obsolete"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def compile_catalogs():
    subprocess.run([PY, "manage.py", "compilemessages", "--ignore=.venv", "--ignore=var"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def apply(entries):
    unknown = []
    for lang in LANGS:
        po = polib.pofile(str(catalog_path(lang)), wrapwidth=0)
        for item in entries:
            if lang not in item:
                continue
            # No msgctxt means the entry without one ("Accepted" the status, not ("sales stage", "Accepted")).
            entry = po.find(item["msgid"], msgctxt=item.get("msgctxt") or None)
            if entry is None:
                unknown.append((lang, item["msgid"]))
                continue
            if entry.msgid_plural:
                forms = item[lang] if isinstance(item[lang], list) else [item[lang]]
                entry.msgstr_plural = {i: forms[min(i, len(forms) - 1)] for i in range(len(entry.msgstr_plural) or 3)}
            else:
                entry.msgstr = item[lang]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        po.save()
    return unknown


def missing():
    out = {}
    for lang in LANGS:
        po = polib.pofile(str(catalog_path(lang)))
        out[lang] = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", help="JSON list of translations to apply")
    parser.add_argument("--refresh", action="store_true", help="run makemessages first")
    parser.add_argument("--missing", action="store_true", help="list untranslated or fuzzy msgids")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "locale.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if args.refresh:
            refresh()
        if args.missing:
            print(json.dumps(missing(), ensure_ascii=False, indent=1))
        if args.file:
            unknown = apply(json.loads(Path(args.file).read_text()))
            for lang, msgid in unknown:
                print(f"not in the {lang} catalog (run with --refresh?): {msgid!r}", file=sys.stderr)
        if args.refresh or args.file:
            compile_catalogs()


if __name__ == "__main__":
    main()
