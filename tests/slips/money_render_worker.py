"""Renders every money-bearing slip and screen amount and prints them as one JSON object.

Run by test_money_cldr.py twice: with the locked Babel, and with the newest Babel release put
ahead on ``sys.path`` (``PYTHONPATH``). Whatever CLDR data the imported Babel carries, what
this prints must be the same, because slips and screens write money with the market's own
styles (``foundation.money.MoneyStyles``), never with Babel's currency data.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import babel
from babel.numbers import get_currency_precision

from printer_templates.i18n import LANGUAGES
from printer_templates.preview import slip_to_text
from printer_templates.render import render_slip, template_names
from printer_templates.samples import sample_context
from terminal.config import MARKETS, load_config, write_preset
from terminal.web.i18n import UI_LANGUAGES, Speaker

#: Amounts that exercise whole units, a fraction, thousands groups and zero.
AMOUNTS = (0, 5, 50000, 50050, 100000, 123456789)


def golden_slips() -> dict[str, str]:
    """Every template in every language as the goldens hold them (built-in money table)."""
    out: dict[str, str] = {}
    for name in template_names():
        for language in LANGUAGES:
            text = slip_to_text(render_slip(name, sample_context(name, language=language),
                                            language=language))  # fmt: skip
            out[f"{name}.{language}.txt"] = text
    return out


def market_slips_and_screens(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Each market's shipped preset: its slips as the counter prints them, and its screens'
    amounts in every screen language."""
    slips: dict[str, str] = {}
    screens: dict[str, str] = {}
    for market in MARKETS:
        config = load_config(write_preset(folder / f"{market}.toml", market))
        for name in template_names():
            for language in dict.fromkeys((config.printer.language, "en")):
                doc = render_slip(
                    name,
                    sample_context(name, language=language),
                    language=language,
                    locale=config.terminal.locale,
                    money=config.money,
                )
                slips[f"{market}/{name}.{language}"] = slip_to_text(doc)
        for language in UI_LANGUAGES:
            speaker = Speaker.for_language(
                language,
                market_language=config.terminal.language,
                market_locale=config.terminal.locale,
                money=config.money,
            )
            for currency in ("RSD", "EUR", "AZN"):
                written = [speaker.money(minor, currency) for minor in AMOUNTS]
                screens[f"{market}/{language}/{currency}"] = " | ".join(written)
    return slips, screens


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        slips, screens = market_slips_and_screens(Path(folder))
    json.dump(
        {
            "babel": babel.__version__,
            "babel_file": babel.__file__,
            "cldr_rsd_digits": get_currency_precision("RSD"),
            "golden": golden_slips(),
            "slips": slips,
            "screens": screens,
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main()
