"""From a stored transaction to the slip context the templates print.

One place builds every slip of a transaction (the sale slip, its copies, the failure notice),
so a reprint shows exactly what the original showed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from offline_queue.store import TxnRecord
from printer_templates.context import FailureSlip, SaleSlip, SlipHeader, StornoSlip
from printer_templates.document import SlipDocument
from printer_templates.render import render_slip
from terminal.catalog import ProductConfig
from terminal.config import KioskConfig

#: Template of each product's sale slip.
SALE_TEMPLATES: dict[str, str] = {
    "card-topup": "sale_card_topup",
    "card-sale": "sale_card_sale",
    "mobile-topup": "sale_mobile_topup",
    "imei-fee": "sale_imei_fee",
    "bill-payment": "sale_bill_payment",
    "benefit-payment": "sale_benefit_payment",
}


def header(config: KioskConfig, printed_at: datetime) -> SlipHeader:
    t = config.terminal
    return SlipHeader(
        merchant_name=t.merchant_name,
        merchant_address=t.merchant_address,
        terminal_id=t.id,
        printed_at=printed_at,
        timezone=t.timezone,
    )


def storno_deadline(
    config: KioskConfig, product: ProductConfig, printed_at: datetime
) -> datetime | None:
    """The last moment a storno is accepted, for windows measured in time; else ``None``."""
    window = product.reversal_window
    if window.kind != "duration":
        return None  # a calendar-day window prints as words, not as a time
    return window.closes_at(printed_at, config.terminal.timezone)


def _target_fields(record: TxnRecord) -> dict[str, Any]:
    """What the slip prints about the beneficiary: card masked to its last 4, except a voucher."""
    target = record.target
    kind = target.get("kind")
    if record.product == "card-sale":
        voucher = dict((record.details.get("product_data") or {}).get("voucher") or {})
        number = str(voucher.get("card_number", "")).replace(" ", "")
        return {
            "target_display": number,
            "target_last4": number[-4:] if len(number) >= 4 else None,
            "imeis": (),
        }
    if kind == "imei":
        imeis = tuple(i for i in (target.get("value"), target.get("second")) if i)
        return {"target_display": target.get("display", ""), "target_last4": None, "imeis": imeis}
    return {
        "target_display": target.get("masked") or target.get("display", ""),
        "target_last4": target.get("last4"),
        "imeis": (),
    }


def slip_product_data(record: TxnRecord, printed_at: datetime) -> dict[str, Any]:
    """The host's product data (and the clerk's choices) in the words the slip templates use.

    Kept in one function so the host protocol and the slip layout can change independently.
    """
    host = dict(record.details.get("product_data") or {})
    product = record.product
    if product == "card-topup":
        return {
            "card_type": host.get("card_type", "online"),
            "relock_number": host.get("sms_number", "+386 31 891 888"),
            "locked_attempt_fee_minor": 10,
        }
    if product == "card-sale":
        voucher = dict(host.get("voucher") or {})
        return {
            "card_type": voucher.get("card_type", "simple"),
            # A stored voucher is masked (``**** 1234``); its stars print, grouped like digits.
            "card_number": str(voucher.get("card_number", "")).replace(" ", ""),
            "expiry": voucher.get("expiry", ""),
            "security_code": voucher.get("cvc", ""),
            "issuer_fields": {},
        }
    if product == "mobile-topup":
        data: dict[str, Any] = {"operator": "MTS", "topped_up_at": printed_at}
        # the storno debt the operator collects from this top-up, told as MTS tells it
        debt = int(host.get("debt_to_collect_minor") or 0)
        if debt > 0:
            data["debt_collected_minor"] = debt
        if host.get("valid_until"):
            data["valid_until"] = date.fromisoformat(str(host["valid_until"])[:10])
        return data
    if product == "imei-fee":
        return {"model": host.get("model", ""), "help_phone": str(host.get("registry_help", "157"))}
    if product == "bill-payment":
        return {
            "biller": host.get("biller_name") or record.details.get("biller_id", ""),
            "host_reference": host.get("biller_reference", ""),
        }
    if product == "benefit-payment":
        return {
            "benefit_type": record.details.get("benefit_type", host.get("benefit_type", "")),
            "message": record.details.get("message", ""),
        }
    return host


def sale_slip(
    config: KioskConfig,
    record: TxnRecord,
    *,
    printed_at: datetime,
    copy_number: int | None = None,
    reversed_at: datetime | None = None,
    product: ProductConfig | None = None,
) -> SaleSlip:
    """The sale slip of ``record`` as printed at ``printed_at`` (the original print time).

    ``product``: the sale's product when the caller has it already (a sale in progress).
    """
    product = product if product is not None else config.product(record.product)
    return SaleSlip(
        header=header(config, printed_at),
        txn=record.txn,
        product=record.product,
        currency=record.currency,
        amount_minor=record.amount_minor,
        fees=record.fees,
        total_minor=record.total_minor,
        cash_minor=record.cash_minor,
        change_minor=record.change_minor,
        auth_code=record.auth_code,
        offline=record.offline,
        storno_deadline=storno_deadline(config, product, printed_at),
        reversal_window=product.reversal_window.kind,
        product_data=slip_product_data(record, printed_at),
        copy_number=copy_number,
        product_name=product.name.get(config.printer.language),
        reversed_at=reversed_at,
        **_target_fields(record),
    )


def render_sale(
    config: KioskConfig,
    record: TxnRecord,
    *,
    printed_at: datetime,
    copy_number: int | None = None,
    reversed_at: datetime | None = None,
    product: ProductConfig | None = None,
) -> SlipDocument:
    context = sale_slip(
        config,
        record,
        printed_at=printed_at,
        copy_number=copy_number,
        reversed_at=reversed_at,
        product=product,
    )
    return render_slip(
        SALE_TEMPLATES[record.product],
        context,
        language=config.printer.language,
        locale=config.terminal.locale,
        money=config.money,
    )


def render_failure(
    config: KioskConfig,
    record: TxnRecord,
    *,
    reason: str,
    at: datetime,
    product: ProductConfig | None = None,
) -> SlipDocument:
    """The failed-transaction notice: tells whoever holds it that no money is owed."""
    product = product if product is not None else config.product(record.product)
    context = FailureSlip(
        header=header(config, at),
        txn=record.txn,
        product=record.product,
        currency=record.currency,
        amount_minor=record.total_minor,
        reason=reason,
        product_name=product.name.get(config.printer.language),
    )
    return render_slip(
        "failure",
        context,
        language=config.printer.language,
        locale=config.terminal.locale,
        money=config.money,
    )


def render_storno(
    config: KioskConfig,
    record: TxnRecord,
    *,
    printed_at: datetime,
    reason: str,
    amount_minor: int,
    copy_number: int | None = None,
    template: str = "storno",
) -> SlipDocument:
    """The storno slip of sale ``record`` (or, with ``template="storno_not_completed"``, the
    notice that it did not happen). The storno keeps the sale's number: the QR code on the
    storno slip finds the same transaction, and the slip names the original's print time."""
    if record.printed_at is None:
        raise ValueError(f"{record.txn} has no printed sale slip to reverse")
    product = config.product(record.product)
    context = StornoSlip(
        header=header(config, printed_at),
        txn=record.txn,
        original_txn=record.txn,
        original_printed_at=record.printed_at,
        product=record.product,
        currency=record.currency,
        amount_minor=amount_minor,
        target_display=str(_target_fields(record)["target_display"]),
        reason=reason,
        copy_number=copy_number,
        product_name=product.name.get(config.printer.language),
        # the refund is the total paid (docs/storno.md#money): the face value and the fees
        face_minor=record.amount_minor if amount_minor == record.total_minor else None,
        fees_minor=record.total_minor - record.amount_minor
        if amount_minor == record.total_minor
        else 0,
    )
    return render_slip(
        template,
        context,
        language=config.printer.language,
        locale=config.terminal.locale,
        money=config.money,
    )


__all__ = [
    "SALE_TEMPLATES",
    "header",
    "render_failure",
    "render_sale",
    "render_storno",
    "sale_slip",
]
