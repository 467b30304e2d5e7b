"""Realistic sample contexts for every slip: previews without a sale, and fixed test data.

Sales use their product's own market (a Serbian mobile top-up is in RSD on Belgrade's clock
whatever the slip's language); reports, the failure notice and the test page use the market of
the slip's language. Times are fixed so golden renderings never change by themselves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from printer_templates.context import (
    CurrencyCount,
    FailureSlip,
    ReportLine,
    ReportSlip,
    SaleSlip,
    SlipContext,
    SlipHeader,
    StornoSlip,
    TestPageSlip,
)
from printer_templates.i18n import check_language


class UnknownSample(KeyError):
    """No sample data for that template name; the message lists the ones there are."""

    def __str__(self) -> str:
        names = ", ".join(sample_names())
        return f"no slip template {self.args[0]!r} with sample data; use one of {names}"


#: Market -> (merchant name, address, terminal id, IANA zone, currency)
_MARKETS: dict[str, tuple[str, str, str, str, str]] = {
    "SI": ("Trafika Center d.o.o.", "Slovenska cesta 1\n1000 Ljubljana", "10001",
           "Europe/Ljubljana", "EUR"),
    "RS": ("Trafika Kiosk Centar", "Knez Mihailova 12\n11000 Beograd", "12345",
           "Europe/Belgrade", "RSD"),
    "AZ": ("SmartPay Kassa 7", "Nizami küçəsi 10\nBakı AZ1000", "20007", "Asia/Baku", "AZN"),
    "FI": ("Kuntosali Voima Oy", "Hämeenkatu 5\n33100 Tampere", "30003", "Europe/Helsinki",
           "EUR"),
}  # fmt: skip

_LANGUAGE_MARKETS = {"sl": "SI", "sr_Latn": "RS", "az": "AZ", "fi": "FI", "en": "SI"}

#: The benefit payment's free-text message, as a customer would type it in each language.
_COURSE_MESSAGES = {
    "sl": "Tečaj joge, pomlad 2026",
    "sr_Latn": "Kurs joge, proleće 2026",
    "az": "Yoqa kursu, yaz 2026",
    "fi": "Joogakurssi, kevät 2026",
    "en": "Yoga course, spring 2026",
}

#: A valid-Luhn Simple card number and valid IMEIs (a dual-SIM phone has two).
SAMPLE_CARD_NUMBER = "5368010123456786"
SAMPLE_IMEIS = ("490154203237518", "356938035643809")


def _local(market: str, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 3, 14, hour, minute, second, tzinfo=ZoneInfo(_MARKETS[market][3]))


def _header(market: str, printed_at: datetime) -> SlipHeader:
    name, address, terminal, zone, _ = _MARKETS[market]
    return SlipHeader(name, address, terminal, printed_at, zone)


def _txn(market: str, sequence: int) -> str:
    return f"{_MARKETS[market][2]}{sequence:09d}"


def _sale_card_topup(language: str) -> SaleSlip:
    printed = _local("SI", 13, 59, 7)
    return SaleSlip(
        header=_header("SI", printed),
        txn=_txn("SI", 1),
        product="card-topup",
        currency="EUR",
        amount_minor=15000,
        fees=(("topup", 100), ("pos_surcharge", 200)),
        total_minor=15300,
        cash_minor=16000,
        change_minor=700,
        target_display="**** 4821",
        target_last4="4821",
        auth_code="A73K2Q",
        storno_deadline=printed + timedelta(minutes=5),
        reversal_window="duration",
        product_data={"card_type": "premium", "locked_attempt_fee_minor": 10},
    )


def _sale_card_sale(language: str) -> SaleSlip:
    printed = _local("SI", 13, 59, 7)
    return SaleSlip(
        header=_header("SI", printed),
        txn=_txn("SI", 2),
        product="card-sale",
        currency="EUR",
        amount_minor=5000,
        fees=(("activation", 300), ("pos_surcharge", 200)),
        total_minor=5500,
        cash_minor=6000,
        change_minor=500,
        target_display=SAMPLE_CARD_NUMBER,
        target_last4=SAMPLE_CARD_NUMBER[-4:],
        auth_code="S19F04",
        storno_deadline=printed + timedelta(minutes=5),
        reversal_window="duration",
        product_data={
            "card_type": "simple",
            "card_number": SAMPLE_CARD_NUMBER,
            "expiry": "03/29",
            "security_code": "731",
            "issuer_fields": {"Serial": "SPC-S-0042917"},
        },
    )


def _sale_mobile_topup(language: str) -> SaleSlip:
    printed = _local("RS", 13, 59, 7)
    return SaleSlip(
        header=_header("RS", printed),
        txn=_txn("RS", 1),
        product="mobile-topup",
        currency="RSD",
        amount_minor=50000,
        fees=(),
        total_minor=50000,
        cash_minor=100000,
        change_minor=50000,
        target_display="+381 64 1234567",
        auth_code="880412",
        storno_deadline=printed + timedelta(minutes=5),
        reversal_window="duration",
        product_data={"operator": "MTS", "valid_until": date(2026, 6, 28), "topped_up_at": printed},
    )


def _sale_imei_fee(language: str) -> SaleSlip:
    printed = _local("AZ", 16, 59, 7)
    return SaleSlip(
        header=_header("AZ", printed),
        txn=_txn("AZ", 42),
        product="imei-fee",
        currency="AZN",
        amount_minor=2000,
        fees=(("commission", 30),),
        total_minor=2030,
        cash_minor=2500,
        change_minor=470,
        target_display=" / ".join(SAMPLE_IMEIS),
        imeis=SAMPLE_IMEIS,
        auth_code="IM-55120",
        reversal_window="none",
        product_data={"model": "Samsung Galaxy A15 Duos", "help_phone": "157"},
    )


def _sale_bill_payment(language: str) -> SaleSlip:
    printed = _local("AZ", 17, 5, 41)
    return SaleSlip(
        header=_header("AZ", printed),
        txn=_txn("AZ", 43),
        product="bill-payment",
        currency="AZN",
        amount_minor=1500,
        fees=(("commission", 30),),
        total_minor=1530,
        cash_minor=2000,
        change_minor=470,
        target_display="+994 50 123 45 67",
        auth_code="BP-90311",
        storno_deadline=printed + timedelta(minutes=5),
        reversal_window="duration",
        product_data={"biller": "Azercell", "host_reference": "AZC-2026-0314-7731"},
    )


def _sale_benefit_payment(language: str) -> SaleSlip:
    printed = _local("FI", 10, 15, 0)
    return SaleSlip(
        header=_header("FI", printed),
        txn=_txn("FI", 7),
        product="benefit-payment",
        currency="EUR",
        amount_minor=4000,
        fees=(),
        total_minor=4000,
        cash_minor=0,  # paid from the benefit balance: no cash (issue 14)
        change_minor=0,
        target_display="SM-0012-3456",
        auth_code="SMT-6612",
        reversal_window="same_day",
        product_data={"benefit_type": "sport", "message": _COURSE_MESSAGES[language]},
    )


def _storno(language: str) -> StornoSlip:
    return StornoSlip(
        header=_header("RS", _local("RS", 14, 2, 30)),
        txn=_txn("RS", 2),
        original_txn=_txn("RS", 1),
        original_printed_at=_local("RS", 13, 59, 7),
        product="mobile-topup",
        currency="RSD",
        amount_minor=50000,
        target_display="+381 64 1234567",
        reason="wrong_number",
    )


def _storno_not_completed(language: str) -> StornoSlip:
    return dataclasses.replace(
        _storno(language),
        header=_header("RS", _local("RS", 14, 6, 0)),
        reason="recovered_after_restart",
    )


def _failure(language: str) -> FailureSlip:
    market = _LANGUAGE_MARKETS[language]
    product = {"RS": "mobile-topup", "AZ": "bill-payment", "FI": "benefit-payment"}.get(
        market, "card-topup"
    )
    return FailureSlip(
        header=_header(market, _local(market, 14, 10, 12)),
        txn=_txn(market, 3),
        product=product,
        currency=_MARKETS[market][4],
        amount_minor=10000,
        reason="print_failed",
    )


def _report(language: str, kind: str) -> ReportSlip:
    market = _LANGUAGE_MARKETS[language]
    currency = _MARKETS[market][4]
    products = {
        "SI": (("card-topup", 12, 183600), ("card-sale", 3, 16500)),
        "RS": (("mobile-topup", 41, 2350000),),
        "AZ": (("imei-fee", 5, 10150), ("bill-payment", 27, 61290)),
        "FI": (("benefit-payment", 9, 36000),),
    }[market]
    lines = tuple(ReportLine(product, currency, count, total) for product, count, total in products)
    storno_minor = {"SI": 15300, "RS": 50000, "AZ": 2030, "FI": 4000}[market]
    closing = kind == "Z"
    if market == "FI":  # benefit payments: paid from the benefit, apart from the cash
        benefit = (CurrencyCount(currency, 10, 36000 - storno_minor),)
        return ReportSlip(
            header=_header(market, _local(market, 20 if closing else 14, 30)),
            kind=kind,
            period_from=_local(market, 7, 0),
            period_to=_local(market, 20 if closing else 14, 30),
            lines=lines,
            stornos=(),
            cash_in_drawer=(CurrencyCount(currency, 0, 0),),
            failed_count=1,
            voided_count=1,
            z_number=42 if closing else None,
            benefit_paid=benefit,
        )
    sales_minor = sum(line.total_minor for line in lines)
    return ReportSlip(
        header=_header(market, _local(market, 20 if closing else 14, 30)),
        kind=kind,
        period_from=_local(market, 7, 0),
        period_to=_local(market, 20 if closing else 14, 30),
        lines=lines,
        stornos=(CurrencyCount(currency, 1, storno_minor),),
        cash_in_drawer=(CurrencyCount(currency, 0, 20000 + sales_minor - storno_minor),),
        failed_count=1,
        voided_count=1,
        z_number=42 if closing else None,
    )


def _test_page(language: str) -> TestPageSlip:
    market = _LANGUAGE_MARKETS[language]
    return TestPageSlip(header=_header(market, _local(market, 8, 0)), printer_profile="TM-T20II")


_SAMPLES: dict[str, Callable[[str], SlipContext]] = {
    "failure": _failure,
    "report_x": lambda language: _report(language, "X"),
    "report_z": lambda language: _report(language, "Z"),
    "sale_benefit_payment": _sale_benefit_payment,
    "sale_bill_payment": _sale_bill_payment,
    "sale_card_sale": _sale_card_sale,
    "sale_card_topup": _sale_card_topup,
    "sale_imei_fee": _sale_imei_fee,
    "sale_mobile_topup": _sale_mobile_topup,
    "storno": _storno,
    "storno_not_completed": _storno_not_completed,
    "test_page": _test_page,
}


def sample_names() -> list[str]:
    """Templates there is sample data for."""
    return sorted(_SAMPLES)


def sample_context(name: str, *, language: str = "en") -> SlipContext:
    """Sample context for slip ``name`` as it would be printed in ``language``."""
    check_language(language)
    try:
        make = _SAMPLES[name]
    except KeyError:
        raise UnknownSample(name) from None
    return make(language)


__all__ = ["SAMPLE_CARD_NUMBER", "SAMPLE_IMEIS", "UnknownSample", "sample_context", "sample_names"]
