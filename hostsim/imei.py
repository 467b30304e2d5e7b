"""IMEI registration fees (Azerbaijan): the state's fee per phone model, in AZN.

The fee depends on the model, found by its TAC (the first 8 digits of the IMEI), not on single
vs duos; but a duos phone has two IMEIs and both must be registered, so the number of IMEIs
given must match the model's device type (business-rules.md section 4). A mismatch is a decline
in plain words the clerk can act on: ask for the second IMEI, or drop the extra one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stdnum import luhn

from foundation.host_wire import DeclineCode as D
from hostsim.errors import Decline
from hostsim.messages import format_minor
from hostsim.products import Ctx, Product, ProvisionInput, product_data_of

REGISTRY_HELP = "157"
REGISTRATION_NOTE = (
    "The device is registered within one day; the customer should restart the phone then."
)


@dataclass(frozen=True)
class PhoneModel:
    tac: str
    name: str
    #: ``single`` (one IMEI), ``duos`` (two IMEIs) or ``any`` (not in the table).
    device_type: str
    fee_minor: int


MODELS: dict[str, PhoneModel] = {
    m.tac: m
    for m in (
        PhoneModel("35332510", "Samsung Galaxy A12 Duos", "duos", 2_500),
        PhoneModel("35674108", "Nokia 105", "single", 500),
        PhoneModel("35209911", "Apple iPhone 13", "single", 16_000),
        PhoneModel("86765403", "Xiaomi Redmi Note 10 Duos", "duos", 3_000),
        PhoneModel("35438511", "Samsung Galaxy S21", "single", 12_000),
        PhoneModel("86220105", "Huawei P30 Lite Duos", "duos", 4_000),
    )
}

UNLISTED_FEE_MINOR = 2_000


@dataclass(frozen=True)
class Quote:
    imeis: tuple[str, ...]
    model: PhoneModel

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "quoted",
            "imeis": list(self.imeis),
            "tac": self.imeis[0][:8],
            "model": self.model.name,
            "device_type": self.model.device_type,
            "fee_minor": self.model.fee_minor,
            "currency": "AZN",
        }


def _check_imei(text: str) -> str:
    digits = text.strip().replace(" ", "")
    if len(digits) != 15 or not digits.isdigit() or not luhn.is_valid(digits):
        raise Decline(
            D.INVALID_IMEI,
            f"{text} is not a valid IMEI: it must be 15 digits with a correct check digit; dial "
            "*#06# on the phone and type it again.",
        )
    return digits


def _model_for(imei: str, model_name: str | None) -> PhoneModel:
    listed = MODELS.get(imei[:8])
    if listed is not None:
        return listed
    if model_name:
        for candidate in MODELS.values():
            if candidate.name.casefold() == model_name.strip().casefold():
                return candidate
    name = model_name.strip() if model_name else "Unlisted model"
    return PhoneModel(imei[:8], name, "any", UNLISTED_FEE_MINOR)


def quote(imeis: Sequence[str], model_name: str | None = None) -> Quote:
    """The fee for a phone, or a decline (bad IMEI, device-type mismatch)."""
    if not 1 <= len(imeis) <= 2:
        raise Decline(D.INVALID_IMEI, "Give one IMEI (single-SIM) or two IMEIs (duos phone).")
    checked = tuple(_check_imei(i) for i in imeis)
    if len(checked) == 2 and checked[0] == checked[1]:
        raise Decline(
            D.INVALID_IMEI, "The two IMEIs are the same; a duos phone shows two different ones."
        )
    model = _model_for(checked[0], model_name)
    if model.device_type == "duos" and len(checked) == 1:
        raise Decline(
            D.DEVICE_TYPE_MISMATCH,
            f"{model.name} is a dual-SIM (duos) phone with two IMEIs; both must be registered. "
            "Dial *#06# on the phone and type the second IMEI too.",
        )
    if model.device_type == "single" and len(checked) == 2:
        raise Decline(
            D.DEVICE_TYPE_MISMATCH,
            f"{model.name} is a single-SIM phone with one IMEI, but two were given; dial *#06# "
            "and type only the IMEI it shows.",
        )
    return Quote(checked, model)


def _imeis_of(target: str, fields: dict[str, Any]) -> list[str]:
    imeis = [target]
    second = fields.get("second_imei")
    if second:
        imeis.append(str(second))
    return imeis


class ImeiFee(Product):
    """``imei-fee``: the state registration fee for one phone (one or two IMEIs)."""

    product = "imei-fee"
    currency = "AZN"
    storno_window = "none"

    def authorize(self, ctx: Ctx, req: ProvisionInput) -> dict[str, Any]:
        model_name = req.fields.get("model")
        q = quote(_imeis_of(req.target, req.fields), str(model_name) if model_name else None)
        if req.amount_minor != q.model.fee_minor:
            raise Decline(
                D.AMOUNT_MISMATCH,
                f"The registration fee for {q.model.name} is "
                f"{format_minor(q.model.fee_minor, 'AZN')}, not "
                f"{format_minor(req.amount_minor, 'AZN')}; quote the IMEI again.",
            )
        return {
            "model": q.model.name,
            "device_type": q.model.device_type,
            "imeis": list(q.imeis),
            "registration_note": REGISTRATION_NOTE,
            "registry_help": REGISTRY_HELP,
        }

    def apply(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        data = product_data_of(txn)
        for imei in data["imeis"]:
            ctx.store.execute(
                "INSERT OR REPLACE INTO imei_registrations (imei, txn, model, registered_at)"
                " VALUES (?, ?, ?, ?)",
                (imei, txn["txn"], data["model"], ctx.now_iso),
            )
        return {}


__all__ = ["MODELS", "ImeiFee", "PhoneModel", "Quote", "quote"]
