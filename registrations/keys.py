"""Customer keys: what makes two records the same customer (H4), as short normalised strings.

- `duns:<9 digits>` — the D-U-N-S number, digits only;
- `name:<normalised name>|<country>` — the company name without case, accents, punctuation, spaces or legal
  suffixes (s.r.o., GmbH, Ltd, Sp. z o.o. ...), with the ISO country; no key without a country;
- `email:<address>` — the same contact address;
- `domain:<domain>` — the web domain, or the domain of a contact address unless it is a public mail service.

Every record type says how its keys read in `keys_for(record)`; the detection looks the keys up in one indexed
table (registrations.CustomerKey).
"""

import re
import unicodedata
from urllib.parse import urlsplit

# Legal forms, as the token sequences they become once punctuation is gone ("s.r.o." -> s r o). Longest first.
LEGAL_SUFFIXES = sorted(
    (tuple(suffix.split()) for suffix in (
        "spol s r o", "s r o", "sro", "a s", "as", "v o s", "k s", "sp z o o", "spzoo", "sp j", "sp k", "s a",
        "sa", "s l", "sl", "s l u", "slu", "s a u", "sau", "s c", "gmbh", "gmbh co kg", "co kg", "kg", "ag", "ohg",
        "ug", "e v", "ev", "ltd", "limited", "plc", "llp", "lp", "llc", "l l c", "inc", "incorporated", "corp",
        "corporation", "co", "company", "pty", "pty ltd", "bv", "b v", "nv", "n v", "oy", "oyj", "ab", "aps",
        "a s a", "asa", "kft", "zrt", "nyrt", "srl", "s r l", "spa", "s p a", "sas", "s a s", "sarl", "s a r l",
        "sasu", "eurl", "sca", "se", "d o o", "doo", "ooo", "zao", "oao", "pjsc", "jsc",
    )),
    key=len,
    reverse=True,
)
# Webmail and consumer mail services: a shared domain says nothing about the customer.
PUBLIC_MAIL_DOMAINS = frozenset("""
gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.de yahoo.fr yahoo.es ymail.com rocketmail.com outlook.com
outlook.cz outlook.es hotmail.com hotmail.co.uk hotmail.de hotmail.fr hotmail.es live.com live.co.uk msn.com
icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net gmx.at web.de t-online.de freenet.de mail.com
email.com proton.me protonmail.com pm.me tutanota.com zoho.com yandex.com yandex.ru mail.ru seznam.cz email.cz
centrum.cz atlas.cz volny.cz post.cz tiscali.cz wp.pl o2.pl onet.pl interia.pl op.pl gazeta.pl poczta.fm
tlen.pl orange.fr free.fr laposte.net sfr.fr wanadoo.fr libero.it virgilio.it tiscali.it terra.es telefonica.net
movistar.es fastmail.com hey.com qq.com 163.com 126.com naver.com
""".split())

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"\D+")


def _fold(text) -> str:
    """Lower case, accents dropped (Škoda -> skoda), ß -> ss."""
    text = unicodedata.normalize("NFKD", str(text or "").casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalise_name(name) -> str:
    """The company name as a key: no case, accents, punctuation, spaces or trailing legal suffixes."""
    tokens = _NON_ALNUM.sub(" ", _fold(name).replace("&", " and ")).split()
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for suffix in LEGAL_SUFFIXES:
            if len(tokens) > len(suffix) and tuple(tokens[-len(suffix):]) == suffix:
                tokens = tokens[:-len(suffix)]
                stripped = True
                break
    return "".join(tokens)


def normalise_duns(duns) -> str:
    digits = _DIGITS.sub("", str(duns or ""))
    return digits if len(digits) == 9 else ""


def normalise_domain(value) -> str:
    """`https://www.Contoso.com/about` -> contoso.com; `contoso.com` stays; nothing that is no domain."""
    value = str(value or "").strip().casefold()
    if not value:
        return ""
    if "@" in value and "://" not in value:
        value = value.rpartition("@")[2]
    host = urlsplit(value if "://" in value else f"//{value}").hostname or ""
    host = host.strip(".")
    if host.startswith("www."):
        host = host[4:]
    return host if "." in host and re.fullmatch(r"[0-9a-z.-]+", host) else ""


def normalise_email(email) -> str:
    email = str(email or "").strip().casefold()
    local, _at, domain = email.rpartition("@")
    return f"{local}@{normalise_domain(domain)}" if local and normalise_domain(domain) else ""


def customer_keys(*, name="", country="", duns="", emails=(), domains=()) -> dict:
    """{key: evidence kind} for one customer; `emails` and `domains` may hold blanks."""
    keys = {}
    if duns := normalise_duns(duns):
        keys[f"duns:{duns}"] = "duns"
    country = str(country or "").strip().upper()[:2]
    if (normalised := normalise_name(name)) and len(country) == 2:
        keys[f"name:{normalised}|{country}"] = "name"
    for email in emails:
        if address := normalise_email(email):
            keys[f"email:{address}"[:300]] = "email"
            domain = address.rpartition("@")[2]
            if domain not in PUBLIC_MAIL_DOMAINS:
                keys[f"domain:{domain}"[:300]] = "domain"
    for value in domains:
        if (domain := normalise_domain(value)) and domain not in PUBLIC_MAIL_DOMAINS:
            keys[f"domain:{domain}"[:300]] = "domain"
    return keys


def keys_for(record) -> dict:
    """The customer keys of a lead, an opportunity, an outbound referral or a deal registration."""
    label = record._meta.label_lower
    if label == "leads.lead":
        return customer_keys(name=record.company, country=record.country, emails=[record.email])
    if label == "opportunities.opportunity":
        account = record.customer_account
        contact = record.customer_contact
        return customer_keys(name=account.name, country=account.country, domains=[account.website],
                             emails=[contact.email if contact else ""])
    if label == "referrals.referral":
        return customer_keys(name=record.customer_name, country=record.customer_country,
                             duns=record.customer_duns, emails=[record.contact_email])
    if label == "registrations.registration":
        return customer_keys(name=record.customer_name, country=record.customer_country, duns=record.customer_duns,
                             emails=[record.contact_email], domains=[record.customer_domain])
    return {}


def evidence_kind(key) -> str:
    return key.partition(":")[0]
