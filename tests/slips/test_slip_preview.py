"""Slip previews: the plain-text layout, PNG images, and ``kiosk slip`` on the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from printer_templates.document import (
    Barcode,
    Columns,
    Cut,
    Feed,
    QRCode,
    Rule,
    SlipDocument,
    TextLine,
)
from printer_templates.preview import code128_modules, slip_to_png, slip_to_text
from printer_templates.render import render_slip
from printer_templates.samples import sample_context
from terminal.cli import main


def test_text_layout_aligns_pads_wraps_and_marks_codes_and_cut() -> None:
    doc = SlipDocument(
        elements=[
            TextLine("Title", align="center"),
            TextLine("R", align="right"),
            Columns("Total", "153,00 €"),
            Rule(),
            TextLine("one two three four five six", size="double"),
            QRCode("12345000000001"),
            Barcode("5368010123456786"),
            Feed(2),
            Cut(),
        ]
    )
    lines = slip_to_text(doc, width=20).splitlines()
    assert lines[0] == "       Title"
    assert lines[1] == " " * 19 + "R"
    assert lines[2] == "Total       153,00 €" and len(lines[2]) == 20
    assert lines[3] == "-" * 20
    assert lines[4:7] == ["one two", "three four", "five six"]  # double width: 10 per line
    assert "[QR: 12345000000001]" in lines[7]
    assert "[BARCODE: 5368010123456786]" in lines[8]
    assert lines[9:11] == ["", ""]
    assert "- - - cut - - -" in lines[11]


def test_columns_too_wide_for_one_line_keep_the_value_on_the_right_edge() -> None:
    text = slip_to_text(SlipDocument(elements=[Columns("A very long label", "1234567890")]), 20)
    assert text.splitlines() == ["A very long label", "          1234567890"]


@pytest.mark.parametrize("width", [32, 42, 48])
def test_no_text_line_exceeds_the_paper(width: int) -> None:
    doc = render_slip("sale_card_sale", sample_context("sale_card_sale"), language="az")
    assert max(len(line) for line in slip_to_text(doc, width).splitlines()) <= width


def test_code128_of_a_card_number_has_the_right_shape() -> None:
    modules = code128_modules("5368010123456786")
    # start + 16 symbols + checksum, 11 modules each, then the 13-module stop
    assert sum(modules) == 11 * 18 + 13
    assert modules[:6] == [2, 1, 1, 2, 1, 4]  # START B
    assert modules[-7:] == [2, 3, 3, 1, 1, 1, 2]


def test_png_preview_is_a_plausible_slip_image(tmp_path: Path) -> None:
    doc = render_slip("sale_card_sale", sample_context("sale_card_sale"), language="sl")
    path = slip_to_png(doc, tmp_path / "card.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert 400 <= width <= 700
        assert height > 2 * width
        dark = sum(image.convert("L").histogram()[:128])
        assert 0.03 < dark / (width * height) < 0.5


def test_png_width_follows_characters_per_line(tmp_path: Path) -> None:
    doc = render_slip("test_page", sample_context("test_page"), language="en")
    with Image.open(slip_to_png(doc, tmp_path / "a.png", width=32)) as narrow:
        narrow_width = narrow.size[0]
    with Image.open(slip_to_png(doc, tmp_path / "b.png", width=48)) as wide:
        wide_width = wide.size[0]
    assert narrow_width < wide_width


def test_cli_lists_the_templates() -> None:
    result = CliRunner().invoke(main, ["slip", "list"])
    assert result.exit_code == 0
    assert "sale_mobile_topup" in result.output.split()
    assert "_layout" not in result.output


def test_cli_preview_prints_the_serbian_mobile_topup() -> None:
    result = CliRunner().invoke(main, ["slip", "preview", "sale_mobile_topup", "--lang", "sr_Latn"])
    assert result.exit_code == 0, result.output
    assert "Elektronska dopuna" in result.output
    assert "Broj telefona              +381 64 1234567" in result.output
    assert "Greška se ovde može stornirati do 14:04." in result.output


def test_cli_preview_honours_width_and_writes_png(tmp_path: Path) -> None:
    narrow = CliRunner().invoke(main, ["slip", "preview", "storno", "--width", "32"])
    assert narrow.exit_code == 0
    assert max(len(line) for line in narrow.output.splitlines()) <= 32
    png = tmp_path / "storno.png"
    result = CliRunner().invoke(
        main, ["slip", "preview", "storno", "--lang", "fi", "--png", str(png)]
    )
    assert result.exit_code == 0 and png.stat().st_size > 5000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["slip", "preview", "sale_lottery"], "no slip template 'sale_lottery'"),
        (["slip", "preview", "storno", "--lang", "de"], "no slip translations for language 'de'"),
    ],
)
def test_cli_preview_refuses_unknown_names_with_exit_1(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert message in result.output


def test_kiosk_command_prints_a_slip_in_a_real_process() -> None:
    kiosk = Path(sys.executable).with_name("kiosk")
    result = subprocess.run(
        [str(kiosk), "slip", "preview", "sale_mobile_topup", "--lang", "sr_Latn"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Transakcija                 12345000000001" in result.stdout
