"""Where a country lies (issue 13): the UN M49 sub-region and continent of each ISO 3166 code, and the sales
regions EMEA, AMER and APAC, so assignment rules can name regions and find the nearest matching partner."""

SUBREGIONS = {
    "Northern Europe": "AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ",
    "Western Europe": "AT BE CH DE FR LI LU MC NL",
    "Eastern Europe": "BG BY CZ HU MD PL RO RU SK UA",
    "Southern Europe": "AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA XK",
    "Northern Africa": "DZ EG EH LY MA SD TN",
    "Western Africa": "BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG",
    "Middle Africa": "AO CD CF CG CM GA GQ ST TD",
    "Eastern Africa": "BI DJ ER ET KE KM MG MU MW MZ RE RW SC SO SS TZ UG YT ZM ZW IO TF",
    "Southern Africa": "BW LS NA SZ ZA",
    "Western Asia": "AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE",
    "Central Asia": "KG KZ TJ TM UZ",
    "Southern Asia": "AF BD BT IN IR LK MV NP PK",
    "Eastern Asia": "CN HK JP KP KR MN MO TW",
    "South-eastern Asia": "BN ID KH LA MM MY PH SG TH TL VN",
    "Northern America": "BM CA GL PM US",
    "Central America": "BZ CR GT HN MX NI PA SV",
    "Caribbean": "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI",
    "South America": "AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE",
    "Australia and New Zealand": "AU CC CX HM NF NZ",
    "Melanesia": "FJ NC PG SB VU",
    "Micronesia": "FM GU KI MH MP NR PW UM",
    "Polynesia": "AS CK NU PF PN TK TO TV WF WS",
}
CONTINENTS = {
    "Europe": ("Northern Europe", "Western Europe", "Eastern Europe", "Southern Europe"),
    "Africa": ("Northern Africa", "Western Africa", "Middle Africa", "Eastern Africa", "Southern Africa"),
    "Asia": ("Western Asia", "Central Asia", "Southern Asia", "Eastern Asia", "South-eastern Asia"),
    "Americas": ("Northern America", "Central America", "Caribbean", "South America"),
    "Oceania": ("Australia and New Zealand", "Melanesia", "Micronesia", "Polynesia"),
}
SALES_REGIONS = {
    "EMEA": ("Europe", "Africa", "Western Asia"),
    "AMER": ("Americas",),
    "APAC": ("Central Asia", "Southern Asia", "Eastern Asia", "South-eastern Asia", "Oceania"),
}

COUNTRY_SUBREGION = {code: name for name, codes in SUBREGIONS.items() for code in codes.split()}
SUBREGION_CONTINENT = {sub: continent for continent, subs in CONTINENTS.items() for sub in subs}


def regions_of(country) -> set[str]:
    """Every region name a country is in, lower-case: its sub-region, continent and sales region."""
    sub = COUNTRY_SUBREGION.get((country or "").upper())
    if sub is None:
        return set()
    continent = SUBREGION_CONTINENT[sub]
    names = {sub, continent}
    names |= {sales for sales, parts in SALES_REGIONS.items() if sub in parts or continent in parts}
    return {name.lower() for name in names}


def distance(a, b) -> int:
    """How far apart two countries are: 0 the same, 1 the same sub-region, 2 the same continent, 3 further (or
    unknown)."""
    a, b = (a or "").upper(), (b or "").upper()
    if not a or not b:
        return 3
    if a == b:
        return 0
    sub_a, sub_b = COUNTRY_SUBREGION.get(a), COUNTRY_SUBREGION.get(b)
    if sub_a is None or sub_b is None:
        return 3
    if sub_a == sub_b:
        return 1
    return 2 if SUBREGION_CONTINENT[sub_a] == SUBREGION_CONTINENT[sub_b] else 3
