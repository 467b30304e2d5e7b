"""A pseudo-locale: every catalog string accented, lengthened and bracketed.

A page or slip rendered in it shows at once which words did not come from a catalog: they are
the plain ASCII ones. Tests render every screen and slip in it (tests/web/test_pseudo_locale.py);
translators never see it and the language switch does not offer it. Placeholders
(``%(name)s``) and markup stay as they are, so the transformed catalog formats like the real one.
"""

from __future__ import annotations

import re

from babel.messages.catalog import Catalog

#: The pseudo-language's code (ISO 639's reserved "qps" range, as Microsoft's qps-ploc).
PSEUDO_LANGUAGE = "qps"
OPEN = "⟦"
CLOSE = "⟧"

_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀćđéƒĝĥíĵķĺḿńóṕʠŕśţúṽŵẋýźÁƁĆĐÉƑĜĤÍĴĶĹḾŃÓṔꝖŔŚŢÚṼŴẊÝŹ",
)
#: What stays as written: placeholders, HTML tags and entities, escapes.
_KEEP = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]*>|&\w+;|\\.")


def transform(text: str) -> str:
    """``text`` accented outside placeholders, about 40 % longer, between ``⟦`` and ``⟧``."""
    if not text:
        return text
    out: list[str] = []
    last = 0
    for match in _KEEP.finditer(text):
        out.append(text[last : match.start()].translate(_ACCENTS))
        out.append(match.group(0))
        last = match.end()
    out.append(text[last:].translate(_ACCENTS))
    padding = "·" * max(1, len(text) * 2 // 5)
    return f"{OPEN}{''.join(out)}{padding}{CLOSE}"


def pseudo_catalog(source: Catalog) -> Catalog:
    """``source`` (the English catalog) with every translation replaced by ``transform``."""
    catalog = Catalog(locale="en_GB", domain=source.domain)
    for message in source:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            forms = tuple(transform(str(form)) for form in message.id)
            catalog.add(message.id, (forms[0], forms[1]))
        else:
            catalog.add(message.id, transform(str(message.id)))
    return catalog


__all__ = ["CLOSE", "OPEN", "PSEUDO_LANGUAGE", "pseudo_catalog", "transform"]
