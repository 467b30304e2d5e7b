"""Slip templates: golden renderings of every slip in every language, and what each slip carries.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/slips/test_slip_templates.py`` and read the diff by eye.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from printer_templates.context import SaleSlip, SlipContextError, SlipHeader
from printer_templates.document import Barcode, Columns, Cut, QRCode, SlipDocument, TextLine
from printer_templates.i18n import LANGUAGES, UnknownLanguage
from printer_templates.markup import SlipMarkupError, escape, parse, unescape
from printer_templates.preview import slip_to_text
from printer_templates.render import (
    SlipRenderError,
    UnknownTemplate,
    render_markup,
    render_slip,
    template_names,
)
from printer_templates.samples import SAMPLE_CARD_NUMBER, SAMPLE_IMEIS, sample_context

GOLDEN = Path(__file__).parent / "golden"
ALL_TEMPLATES = [
    "failure",
    "report_x",
    "report_z",
    "sale_benefit_payment",
    "sale_bill_payment",
    "sale_card_sale",
    "sale_card_topup",
    "sale_imei_fee",
    "sale_mobile_topup",
    "storno",
    "storno_not_completed",
    "test_page",
]


def render(name: str, language: str = "en", **changes: Any) -> SlipDocument:
    context = sample_context(name, language=language)
    if changes:
        context = dataclasses.replace(context, **changes)
    return render_slip(name, context, language=language)


def texts(doc: SlipDocument) -> list[str]:
    """Every piece of text on the slip, columns as ``left | right``."""
    out: list[str] = []
    for element in doc.elements:
        if isinstance(element, TextLine):
            out.append(element.text)
        elif isinstance(element, Columns):
            out.append(f"{element.left} | {element.right}")
    return out


def all_text(doc: SlipDocument) -> str:
    return "\n".join(texts(doc))


def _golden_cases() -> list[tuple[str, str, int | None]]:
    cases: list[tuple[str, str, int | None]] = [
        (name, language, None) for name in ALL_TEMPLATES for language in LANGUAGES
    ]
    cases += [("sale_card_topup", language, 2) for language in LANGUAGES]
    cases += [("storno", language, 1) for language in LANGUAGES]
    return cases


def test_every_template_has_golden_cases() -> None:
    assert template_names() == ALL_TEMPLATES


@pytest.mark.parametrize(("name", "language", "copy_number"), _golden_cases())
def test_golden_rendering(name: str, language: str, copy_number: int | None) -> None:
    changes = {"copy_number": copy_number} if copy_number else {}
    text = slip_to_text(render(name, language, **changes))
    suffix = f".copy{copy_number}" if copy_number else ""
    path = GOLDEN / f"{name}{suffix}.{language}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


# --- what a sale slip carries ------------------------------------------------------------------


def test_sale_slip_carries_header_txn_and_its_qr_code() -> None:
    doc = render("sale_mobile_topup")
    text = all_text(doc)
    assert doc.kind == "sale" and doc.txn == "12345000000001" and doc.language == "en"
    for expected in (
        "Trafika Kiosk Centar",
        "Knez Mihailova 12",
        "11000 Beograd",
        "Terminal | 12345",
        "Date | 14 Mar 2026",
        "Time | 13:59:07",
        "Transaction | 12345000000001",
        "Phone number | +381 64 1234567",
        "Authorisation code | 880412",
        "Keep this slip: it is your only proof of payment.",
    ):
        assert expected in text
    assert QRCode("TXN:12345000000001") in doc.elements
    assert isinstance(doc.elements[-1], Cut)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("sale_card_topup", "txn"),
        ("storno", "txn"),
        ("failure", "txn"),
        ("storno_not_completed", "original_txn"),
    ],
)
def test_every_slip_qr_code_is_the_payload_the_scanner_reads(name: str, field: str) -> None:
    """One QR payload everywhere: the templates print what drivers.scanner builds and parses."""
    from drivers.scanner.codes import parse_scan, slip_qr_payload

    context = sample_context(name)
    txn = str(getattr(context, field))
    qrs = [e for e in render(name).elements if isinstance(e, QRCode)]
    assert [q.data for q in qrs] == [slip_qr_payload(txn)]
    assert parse_scan(qrs[0].data).txn == txn  # type: ignore[union-attr]


def test_sale_slip_lists_face_value_each_fee_total_cash_and_change() -> None:
    text = all_text(render("sale_card_topup"))
    assert "Amount | €150.00" in text
    assert "Top-up fee | €1.00" in text
    assert "Point-of-sale surcharge | €2.00" in text
    assert "Total | €153.00" in text
    assert "Cash | €160.00" in text
    assert "Change | €7.00" in text


def test_fee_names_are_translated() -> None:
    text = all_text(render("sale_card_sale", "sl"))
    assert "Cena aktivacije | 3,00 €" in text
    assert "Doplačilo na prodajnem mestu | 2,00 €" in text


def _preset_fee_names() -> list[str]:
    presets = Path(__file__).parents[2] / "terminal" / "presets"
    names: set[str] = set()
    for path in presets.glob("*.toml"):
        for product in tomllib.loads(path.read_text(encoding="utf-8")).get("products", {}).values():
            names.update(fee["name"] for fee in product.get("fees", []))
    return sorted(names)


@pytest.mark.parametrize("fee_name", _preset_fee_names())
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_fee_the_presets_charge_has_a_translated_name(fee_name: str, language: str) -> None:
    sample = sample_context("sale_card_topup", language=language)
    assert isinstance(sample, SaleSlip)
    context = dataclasses.replace(sample, fees=((fee_name, 300),), change_minor=700)
    columns = [e for e in render_slip("sale_card_topup", context, language=language).elements
               if isinstance(e, Columns) and e.right in ("€3.00", "3,00 €")]  # fmt: skip
    assert len(columns) == 1
    assert columns[0].left != fee_name and "_" not in columns[0].left


def test_storno_deadline_is_a_clock_time_in_the_markets_zone() -> None:
    sample = sample_context("sale_card_topup")
    assert isinstance(sample, SaleSlip)
    deadline_utc = datetime(2026, 3, 14, 13, 4, tzinfo=UTC)  # 14:04 in Ljubljana (CET)
    doc = render_slip(
        "sale_card_topup", dataclasses.replace(sample, storno_deadline=deadline_utc), language="en"
    )
    assert "Mistakes can be reversed here until 14:04." in texts(doc)
    fi = render_slip(
        "sale_card_topup", dataclasses.replace(sample, storno_deadline=deadline_utc), language="fi"
    )
    assert "Virheen voi perua täällä klo 14.04 asti." in texts(fi)


def test_same_day_window_says_end_of_today_and_none_says_nothing() -> None:
    assert "Mistakes can be reversed here until the end of today." in texts(
        render("sale_benefit_payment")
    )
    imei = all_text(render("sale_imei_fee"))
    assert "reversed" not in imei


def test_offline_sale_is_marked_instead_of_an_authorisation_code() -> None:
    doc = render("sale_mobile_topup", offline=True, auth_code=None)
    text = all_text(doc)
    assert "OFFLINE — to be confirmed by the host" in text
    assert "Authorisation code" not in text


def test_card_topup_masks_the_card_and_prints_relock_with_its_last_four() -> None:
    doc = render("sale_card_topup")
    text = all_text(doc)
    assert "Card | **** 4821" in text
    assert not re.search(r"\d{12,}", text.replace("10001000000001", ""))
    assert (
        "To pay with a KYC card within 30 minutes of the top-up, "
        "send RELOCK 4821 to +386 31 891 888." in text
    )
    assert "UNLOCK 4821 turns the automatic lock off at your own risk." in text
    assert "Each payment attempt with a locked or empty card costs €0.10." in text


def test_premium_charge_only_on_premium_cards() -> None:
    text = all_text(render("sale_card_topup", product_data={"card_type": "online"}))
    assert "locked or empty card" not in text
    assert "RELOCK 4821" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_card_slips_state_the_vat_exemption_in_slovenian_always(language: str) -> None:
    slovenian = "Storitev je oproščena DDV v skladu z 4.c točko 44. člena ZDDV."
    for name in ("sale_card_topup", "sale_card_sale"):
        lines = texts(render(name, language))
        assert lines.count(slovenian) == 1
        vat_lines = [line for line in lines if "ZDDV" in line]
        assert len(vat_lines) == (1 if language == "sl" else 2)


def test_card_voucher_carries_the_full_card_data_and_a_barcode() -> None:
    doc = render("sale_card_sale")
    text = all_text(doc)
    assert "5368 0101 2345 6786" in text
    assert "Valid until | 03/29" in text
    assert "Security code | 731" in text
    assert "Serial | SPC-S-0042917" in text
    assert Barcode(SAMPLE_CARD_NUMBER) in doc.elements
    assert "RELOCK 6786" in text and "UNLOCK 6786" in text


def test_imei_slip_of_a_duos_phone_carries_both_imeis() -> None:
    text = all_text(render("sale_imei_fee"))
    assert f"IMEI 1 | {SAMPLE_IMEIS[0]}" in text
    assert f"IMEI 2 | {SAMPLE_IMEIS[1]}" in text
    assert "The phone will be registered within one day. Then restart the phone." in text
    assert "Device registry help line: 157" in text


def test_single_imei_is_labelled_without_a_number() -> None:
    text = all_text(render("sale_imei_fee", imeis=SAMPLE_IMEIS[:1], target_display=SAMPLE_IMEIS[0]))
    assert f"IMEI | {SAMPLE_IMEIS[0]}" in text
    assert SAMPLE_IMEIS[1] not in text


def test_mobile_topup_prints_the_operators_message_with_the_hosts_validity() -> None:
    text = all_text(render("sale_mobile_topup"))
    assert (
        "At 13:59 your account was topped up with RSD500, valid until 28 Jun 2026. "
        "Transaction: 12345000000001" in text
    )
    sr = all_text(render("sale_mobile_topup", "sr_Latn"))
    assert "Poštovani, u 13:59 Vaš račun je dopunjen sa 500 RSD i važi do 28. 6. 2026." in sr


def test_bill_payment_names_biller_account_and_host_reference() -> None:
    text = all_text(render("sale_bill_payment"))
    assert "Biller | Azercell" in text
    assert "Account | +994 50 123 45 67" in text
    assert "Reference | AZC-2026-0314-7731" in text


def test_benefit_payment_names_type_and_message_and_its_rules() -> None:
    text = all_text(render("sale_benefit_payment", "fi"))
    assert "Etu | Liikunta ja urheilu" in text
    assert "Viesti: Joogakurssi, kevät 2026" in text
    assert "Palveluntarjoaja saa kuitin maksusta sähköpostitse." in text
    assert "Palveluntarjoaja voi perua virheellisen maksun vain tänään." in text


def test_rsd_has_no_decimals_and_azn_is_written_as_azn() -> None:
    rsd = all_text(render("sale_mobile_topup", "sr_Latn"))
    assert "Ukupno | 500 RSD" in rsd and "Gotovina | 1.000 RSD" in rsd
    assert "500,00" not in rsd
    azn = all_text(render("sale_bill_payment", "az"))
    assert "Cəmi | 15,30 AZN" in azn
    assert "₼" not in azn


def test_product_name_from_the_configuration_wins() -> None:
    text = all_text(render("sale_mobile_topup", product_name="MTS dopuna"))
    assert "MTS dopuna" in text
    assert "Mobile top-up" not in text


# --- copies, storno, failure, reports, test page -----------------------------------------------


@pytest.mark.parametrize(
    ("language", "marker"),
    [("en", "COPY 2"), ("sl", "KOPIJA 2"), ("sr_Latn", "KOPIJA 2"), ("az", "SURƏT 2"),
     ("fi", "KOPIO 2")],
)  # fmt: skip
def test_a_copy_says_so_at_top_and_bottom(language: str, marker: str) -> None:
    doc = render("sale_card_topup", language, copy_number=2)
    lines = [e for e in doc.elements if isinstance(e, TextLine)]
    assert doc.kind == "copy"
    assert lines[0].text == marker and lines[0].bold and lines[0].size == "double"
    assert lines[-1].text == marker
    assert all_text(render("sale_card_topup", language)).count(marker) == 0


def test_a_storno_copy_is_marked_too() -> None:
    doc = render("storno", copy_number=3)
    assert doc.kind == "copy"
    assert all_text(doc).count("COPY 3") == 2


def test_storno_slip_refers_to_the_original_and_says_what_is_reversed() -> None:
    doc = render("storno")
    text = all_text(doc)
    assert doc.kind == "storno" and doc.txn == "12345000000002"
    assert "STORNO" in text
    assert "Original transaction | 12345000000001" in text
    assert "Original date | 14 Mar 2026" in text
    assert "Original time | 13:59:07" in text
    assert "Storno time | 14:02:30" in text
    assert "Amount reversed | RSD500" in text
    assert "Reason: Wrong phone number" in text
    assert "if you spent part of it, that part is deducted from your next top-up" in text
    assert QRCode("TXN:12345000000002") in doc.elements


def test_storno_prints_a_free_text_reason_as_given() -> None:
    text = all_text(render("storno", reason="Kupac se predomislio"))
    assert "Reason: Kupac se predomislio" in text


def test_storno_not_completed_tells_the_clerk_the_sale_stands() -> None:
    doc = render("storno_not_completed", "sr_Latn")
    text = all_text(doc)
    assert doc.kind == "failure"
    assert "STORNIRANJE NIJE IZVRŠENO" in text
    assert "Originalna prodaja ostaje važeća: ne vraćajte novac." in text
    assert "Originalna transakcija | 12345000000001" in text
    assert QRCode("TXN:12345000000001") in doc.elements


def test_failure_notice_tells_the_clerk_to_return_the_cash() -> None:
    doc = render("failure")
    text = all_text(doc)
    assert doc.kind == "failure" and doc.txn == "10001000000003"
    assert "TRANSACTION FAILED" in text
    assert "Do not take the money; if it was paid, return the cash." in text
    assert "Transaction | 10001000000003" in text
    assert "Reason: The slip did not print." in text
    assert "Thank you!" not in text


def test_z_report_has_number_period_totals_stornos_failures_and_cash() -> None:
    doc = render("report_z")
    text = all_text(doc)
    assert doc.kind == "report" and doc.txn is None
    assert "Z REPORT" in text and "No. 42" in text
    assert "From | 14 Mar 2026 07:00" in text and "To | 14 Mar 2026 20:30" in text
    assert "Card top-up\nCount: 12 | €1,836.00\nPrepaid card\nCount: 3 | €165.00" in text
    assert "Total EUR | €2,001.00" in text
    assert "Stornos\nCount: 1 | €153.00" in text
    assert "Failed transactions | 1" in text and "Voided transactions | 1" in text
    assert "Cash in drawer\nEUR | €2,048.00" in text


def test_x_report_keeps_the_period_open_and_has_no_number() -> None:
    text = all_text(render("report_x", "sr_Latn"))
    assert "X IZVEŠTAJ" in text and "Međuzbirovi: period ostaje otvoren." in text
    assert "Br." not in text
    assert "Elektronska dopuna\nBroj: 41 | 23.500 RSD" in text


def test_report_template_refuses_the_other_report_kind() -> None:
    with pytest.raises(SlipRenderError, match="kind"):
        render_slip("report_x", sample_context("report_z"), language="en")


def test_test_page_shows_every_languages_letters_qr_and_barcode() -> None:
    doc = render("test_page", "az")
    text = all_text(doc)
    assert "čšžćđ äö əğış çü" in text
    assert "Azərbaycan: ə ğ ı ş ç ö ü Ə Ğ İ Ş Ç Ö Ü" in text
    assert "PRİNTER TESTİ" in text
    assert any(isinstance(e, QRCode) for e in doc.elements)
    assert any(isinstance(e, Barcode) for e in doc.elements)
    sizes = {e.size for e in doc.elements if isinstance(e, TextLine)}
    assert sizes == {"normal", "tall", "wide", "double"}


# --- strictness and escaping -------------------------------------------------------------------


def test_customer_text_cannot_inject_markup() -> None:
    message = "@cut | @qr evil\n@barcode 666 \\@feed 9"
    doc = render("sale_benefit_payment", product_data={"benefit_type": "sport", "message": message})
    assert sum(isinstance(e, Cut) for e in doc.elements) == 1
    assert [e.data for e in doc.elements if isinstance(e, QRCode)] == ["TXN:30003000000007"]
    assert not any(isinstance(e, Barcode) for e in doc.elements)
    assert "Message: @cut | @qr evil @barcode 666 \\@feed 9" in texts(doc)


def test_injected_pipe_does_not_split_columns() -> None:
    doc = render("sale_bill_payment", target_display="12 | 34")
    assert Columns("Account", "12 | 34") in doc.elements


def test_missing_field_is_an_error_not_a_blank() -> None:
    sample = sample_context("sale_mobile_topup")
    fields = {f.name: getattr(sample, f.name) for f in dataclasses.fields(sample)}
    del fields["cash_minor"]
    with pytest.raises(SlipRenderError, match="cash_minor"):
        render_slip("sale_mobile_topup", fields, language="en")


def test_a_mapping_context_renders_like_the_dataclass() -> None:
    sample = sample_context("sale_card_sale")
    fields = {f.name: getattr(sample, f.name) for f in dataclasses.fields(sample)}
    fields["header"] = dataclasses.asdict(fields["header"])
    by_mapping = render_slip("sale_card_sale", fields, language="sl")
    assert by_mapping == render_slip("sale_card_sale", sample, language="sl")


def test_a_sale_template_refuses_another_products_context() -> None:
    with pytest.raises(SlipRenderError, match="mobile-topup"):
        render_slip("sale_card_topup", sample_context("sale_mobile_topup"), language="en")


def test_unknown_template_and_language_are_named_errors() -> None:
    with pytest.raises(UnknownTemplate, match="sale_mobile_topup"):
        render_slip("sale_lottery", sample_context("sale_mobile_topup"), language="en")
    with pytest.raises(UnknownTemplate):
        render_slip("_layout", sample_context("sale_mobile_topup"), language="en")
    with pytest.raises(UnknownLanguage, match="sr_Latn"):
        render_slip("sale_mobile_topup", sample_context("sale_mobile_topup"), language="de")


def test_locale_can_be_overridden() -> None:
    doc = render_slip(
        "sale_card_topup", sample_context("sale_card_topup"), language="en", locale="fi_FI"
    )
    assert "Total | 153,00 €" in all_text(doc)


def test_markup_parses_every_directive_and_escapes_round_trip() -> None:
    markup = "\n".join(
        [
            "@center @bold @double Title",
            "@bold @cols Left \\| part | Right",
            "@rule =",
            "@qr DATA",
            "@barcode 123",
            "@feed 2",
            "plain \\@text",
            "@cut",
        ]
    )
    elements = parse(markup)
    assert elements[0] == TextLine("Title", align="center", bold=True, size="double")
    assert elements[1] == Columns("Left | part", "Right", bold=True)
    assert [type(e).__name__ for e in elements[2:]] == [
        "Rule", "QRCode", "Barcode", "Feed", "TextLine", "Cut",
    ]  # fmt: skip
    assert elements[6] == TextLine("plain @text")
    tricky = "a\\b | @c\nd"
    assert unescape(escape(tricky)) == "a\\b | @c d"


@pytest.mark.parametrize(
    "line", ["@shout hi", "@tall @wide x", "@cols no separator", "@feed many", "@bold @rule"]
)
def test_markup_errors_name_the_line(line: str) -> None:
    with pytest.raises(SlipMarkupError, match="line 2"):
        parse(f"ok\n{line}")


def test_rendered_markup_is_readable_line_markup() -> None:
    markup = render_markup("sale_mobile_topup", sample_context("sale_mobile_topup"), language="en")
    assert "@cols Transaction | 12345000000001" in markup
    assert "@qr TXN:12345000000001" in markup


# --- contexts check themselves -----------------------------------------------------------------


def test_contexts_refuse_naive_times_and_wrong_sums() -> None:
    with pytest.raises(SlipContextError, match="timezone-aware"):
        SlipHeader("M", "A", "1", datetime(2026, 3, 14, 12, 0), "Europe/Ljubljana")
    with pytest.raises(SlipContextError, match="time zone"):
        SlipHeader("M", "A", "1", datetime(2026, 3, 14, 12, 0, tzinfo=UTC), "Europe/Nowhere")
    sample = sample_context("sale_card_topup")
    assert isinstance(sample, SaleSlip)
    with pytest.raises(SlipContextError, match="total_minor"):
        dataclasses.replace(sample, total_minor=15200)
    with pytest.raises(SlipContextError, match="change_minor"):
        dataclasses.replace(sample, change_minor=600)
    with pytest.raises(SlipContextError, match="auth_code"):
        dataclasses.replace(sample, auth_code=None)
    with pytest.raises(SlipContextError, match="storno_deadline"):
        dataclasses.replace(sample, storno_deadline=None)
    with pytest.raises(SlipContextError, match="14-digit"):
        dataclasses.replace(sample, txn="123")
    assert sample.header.printed_at + timedelta(minutes=5) == sample.storno_deadline
