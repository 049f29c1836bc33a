"""ISO 3166-1 alpha-2 country codes (the 249 officially assigned codes).

Data only. Used by the checker (country literals in policies) and by the case loaders.
"""

from __future__ import annotations

ISO_3166_ALPHA2: frozenset[str] = frozenset("""
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN
    CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF
    GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG
    PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS
    ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
""".split())

def is_country(code: str) -> bool:
    return code in ISO_3166_ALPHA2


def looks_like_country(name: str) -> bool:
    """Two capital ASCII letters: the shape reserved for country codes in policies."""
    return len(name) == 2 and name.isascii() and name.isalpha() and name.isupper()


# Codes people write that ISO 3166-1 does not assign, with what to write instead.
_ALIASES = {
    "UK": "the United Kingdom's code is `GB`",
    "EL": "Greece's code is `GR` (`EL` is the European Union's own abbreviation)",
    "EU": "the European Union is not a country; list its member states, such as `{BE, DE}`",
}


def country_hint(code: str) -> str:
    """What to write instead of a code that is not assigned: a known alias, the letters swapped,
    else a code with the same first letter, else the same second."""
    from kprules.core.suggest import did_you_mean

    if code in _ALIASES:
        return _ALIASES[code]
    if code[::-1] in ISO_3166_ALPHA2:
        return f"did you mean `{code[::-1]}`?"
    for same in (0, 1):
        hint = did_you_mean(code, [c for c in ISO_3166_ALPHA2 if len(code) > same
                                   and c[same] == code[same]])
        if hint:
            return hint
    return "two capital letters are an ISO 3166-1 alpha-2 country code"
