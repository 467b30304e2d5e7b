"""Pure-ASCII text skips python-escpos's per-character encoder: the bytes must not change.

Every golden slip (every template, every language, copies included) is rendered twice: as the
kiosk does, and with every piece of text handed to python-escpos's ``text()`` as before the
shortcut. The jobs must be byte for byte the same, with user-defined characters and with the
raster fallback, on an Epson profile and on one without ``ESC &``.
"""

from __future__ import annotations

import dataclasses

import pytest
from escpos.printer import Dummy

from drivers.printer import escpos_output
from drivers.printer.escpos_output import render_job
from printer_templates.document import SlipDocument
from printer_templates.i18n import LANGUAGES
from printer_templates.render import render_slip, template_names
from printer_templates.samples import sample_context


def _golden_docs() -> list[tuple[str, SlipDocument]]:
    docs: list[tuple[str, SlipDocument]] = []
    for name in template_names():
        for language in LANGUAGES:
            context = sample_context(name, language=language)
            docs.append((f"{name}.{language}", render_slip(name, context, language=language)))
            if name in ("sale_card_topup", "storno"):
                copy = dataclasses.replace(context, copy_number=2)  # type: ignore[arg-type]
                docs.append((f"{name}.copy.{language}", render_slip(name, copy, language=language)))
    return docs


def _through_the_encoder(p: Dummy, text: str) -> None:
    p.text(text)


@pytest.mark.parametrize(
    ("profile", "user_characters"),
    [("TM-T88V", None), ("TM-T88V", False), ("default", None)],
)
def test_the_ascii_shortcut_gives_the_encoders_bytes(
    profile: str, user_characters: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _golden_docs()
    fast = [render_job(doc, profile=profile, user_characters=user_characters) for _, doc in docs]
    monkeypatch.setattr(escpos_output, "_write_text", _through_the_encoder)
    slow = [render_job(doc, profile=profile, user_characters=user_characters) for _, doc in docs]
    assert len(docs) == 70
    for (label, _), ours, encoder in zip(docs, fast, slow, strict=True):
        assert ours == encoder, label


def test_the_first_text_of_a_job_still_selects_a_code_page() -> None:
    """After ESC @ the printer's code page is unknown: the first text goes through the
    encoder, which writes ESC t before it."""
    from printer_templates.document import TextLine

    job = render_job(SlipDocument(elements=(TextLine("HELLO"),), kind="test"))
    start = job.index(b"HELLO")
    assert b"\x1bt" in job[:start]
