"""The sale form of every product: which fields it asks, how they are checked, what they cost.

Checked with the same functions the sale service uses (``terminal.validation``,
``terminal.tariffs.quote``), field by field in the order the clerk fills them, so pressing Enter
in a field shows that field's refusal at once and the quote as soon as the amount is known.
Nothing here records anything: :meth:`SaleService.sell` checks everything again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from foundation.money import Money, MoneyError
from terminal.billers import BillerCatalog
from terminal.catalog import ProductConfig
from terminal.config import KioskConfig
from terminal.errors import ConfigError, InvalidAccount, InvalidAmount, KioskError
from terminal.host_client import HostClient
from terminal.sale import SaleRequest
from terminal.tariffs import Quote, quote
from terminal.validation import (
    check_id,
    validate_benefit_type,
    validate_cash,
    validate_imei,
    validate_message,
    validate_target,
)
from terminal.web.errors import Refusal, message, refusal
from terminal.web.i18n import Speaker

#: Quick amounts when kiosk.toml's ``[screen.denominations]`` does not name them.
DEFAULT_DENOMINATIONS: dict[str, tuple[str, ...]] = {
    "EUR": ("10", "20", "50", "100", "200"),
    "RSD": ("200", "500", "1000", "2000", "5000"),
    "AZN": ("5", "10", "20", "50", "100"),
}
#: Banknotes customers pay with, for the quick "cash given" buttons.
BANKNOTES: dict[str, tuple[str, ...]] = {
    "EUR": ("5", "10", "20", "50", "100", "200", "500"),
    "RSD": ("10", "20", "50", "100", "200", "500", "1000", "2000", "5000"),
    "AZN": ("1", "5", "10", "20", "50", "100", "200"),
}


def denominations(config: KioskConfig) -> dict[str, tuple[int, ...]]:
    """Quick amounts per product: ``[screen.denominations]`` by product id or currency, else
    the defaults; only amounts the product can sell (its min, max and step)."""
    screen = config.sections.get("screen", {})
    table = screen.get("denominations", {}) if isinstance(screen, Mapping) else {}
    if not isinstance(table, Mapping):
        raise ConfigError(
            'screen.denominations must be a table of lists, e.g. EUR = ["10", "20"]',
            key="screen.denominations",
        )
    found: dict[str, tuple[int, ...]] = {}
    for product in config.products.values():
        key = product.id if product.id in table else product.currency
        texts = table.get(key, DEFAULT_DENOMINATIONS.get(product.currency, ()))
        if not isinstance(texts, Sequence) or isinstance(texts, str):
            raise ConfigError(
                f'screen.denominations.{key} must be a list of amounts such as ["10", "20"]',
                key=f"screen.denominations.{key}",
            )
        amounts = []
        for n, text in enumerate(texts):
            try:
                minor = Money.parse(text, product.currency).minor
            except MoneyError as exc:
                raise ConfigError(
                    f"screen.denominations.{key}[{n}] = {text!r}: {exc}",
                    key=f"screen.denominations.{key}[{n}]",
                ) from None
            fits = product.min_minor <= minor <= product.max_minor
            if fits and minor % product.step_minor == 0:
                amounts.append(minor)
        found[product.id] = tuple(amounts)
    return found


def cash_options(total_minor: int, currency: str) -> list[int]:
    """Exact cash, then the total rounded up to what a customer hands over (52 -> 55, 60, 100)."""
    options = [total_minor]
    for note in BANKNOTES.get(currency, ()):
        step = Money.parse(note, currency).minor
        rounded = math.ceil(total_minor / step) * step
        if rounded > total_minor and rounded not in options:
            options.append(rounded)
        if len(options) == 4:
            break
    return options


def fields_of(product: ProductConfig) -> list[str]:
    """The form's fields in fill order (Enter moves along this list)."""
    target = product.target
    names: list[str] = []
    if target == "bill_account":
        names += ["biller_id", "target"]
    elif target == "benefit_account":
        names += ["benefit_type", "target", "message"]
    elif target == "imei":
        names += ["target", "target2"]
    elif target != "none":
        names.append("target")
    if target != "imei":
        names.append("amount")
    if product.id_check_above_minor is not None:
        names.append("id_checked")
    if not product.pays_from_benefit:  # the benefit balance pays: no cash field
        names.append("cash")
    return names


@dataclass
class Checked:
    """What a check found: refusals per field, the quote, and where the cursor goes next."""

    errors: dict[str, Refusal] = field(default_factory=dict)
    quote: Quote | None = None
    amount_minor: int | None = None
    cash_minor: int | None = None
    change_minor: int | None = None
    imei_model: str | None = None
    next_focus: str = ""
    biller: Any = None
    #: paid from the benefit balance: no cash is taken, no change given
    benefit: bool = False

    @property
    def ready(self) -> bool:
        """Everything is filled in and valid: the Sell button may be pressed."""
        return not self.errors and self.change_minor is not None


class SaleForm:
    """Checks one product's posted form (a mapping of field name -> text)."""

    def __init__(
        self,
        config: KioskConfig,
        product: ProductConfig,
        speaker: Speaker,
        *,
        host: HostClient,
        billers: BillerCatalog,
    ) -> None:
        self.config = config
        self.product = product
        self.speaker = speaker
        self.host = host
        self.billers = billers
        self.fields = fields_of(product)

    def _reached(self, name: str, form: Mapping[str, str], upto: str | None) -> bool:
        """A field is checked once the clerk filled it or went past it."""
        if upto is None:
            return True  # the sale itself: everything
        if form.get(name, "").strip():
            return True
        if upto in self.fields and name in self.fields:
            return self.fields.index(name) <= self.fields.index(upto)
        return False

    def check(self, form: Mapping[str, str], upto: str | None = None) -> Checked:
        """Check the fields up to ``upto`` (and any filled in); None checks all of them."""
        out = Checked()
        product = self.product
        speaker = self.speaker

        def fail(name: str, error: Exception) -> None:
            out.errors.setdefault(name, refusal(speaker, error))

        if "biller_id" in self.fields and self._reached("biller_id", form, upto):
            self._check_biller(form, out)
        if "benefit_type" in self.fields and self._reached("benefit_type", form, upto):
            try:
                validate_benefit_type(product, form.get("benefit_type", ""))
            except KioskError as exc:
                fail("benefit_type", exc)
        if "target" in self.fields and self._reached("target", form, upto):
            self._check_target(form, out)
        if "message" in self.fields and form.get("message", "").strip():
            try:
                validate_message(form["message"], product.message_max_length)
            except KioskError as exc:
                fail("message", exc)
        if "amount" in self.fields and self._reached("amount", form, upto):
            self._check_amount(form.get("amount", ""), out)
        if out.amount_minor is not None and "id_checked" in self.fields:
            try:
                check_id(product, out.amount_minor, id_checked=form.get("id_checked") == "1")
            except KioskError as exc:
                if self._reached("id_checked", form, upto) or upto == "amount":
                    fail("id_checked", exc)
        if out.quote is not None and product.pays_from_benefit:
            out.benefit, out.change_minor = True, 0
        elif out.quote is not None and self._reached("cash", form, upto):
            self._check_cash(form.get("cash", ""), out)
        out.next_focus = self._next_focus(out, upto)
        return out

    def _check_biller(self, form: Mapping[str, str], out: Checked) -> None:
        biller_id = form.get("biller_id", "").strip()
        if not biller_id:
            out.errors["biller_id"] = message(self.speaker, "biller_missing")
            return
        try:
            biller = self.billers.get().biller(biller_id)
        except KioskError as exc:
            out.errors["biller_id"] = message(self.speaker, "catalog_unavailable", str(exc))
            return
        if biller is None:
            out.errors["biller_id"] = message(self.speaker, "biller_missing")
        out.biller = biller

    def _check_target(self, form: Mapping[str, str], out: Checked) -> None:
        product = self.product
        if product.target == "card" and form.get("card_swipe_id"):
            return  # a swiped card passed its checks in the reader; the vault holds it
        raw = form.get("target", "")
        second = form.get("target2", "").strip() or None
        if product.target == "imei":
            # each IMEI's own refusal under its own field; "both the same" under the second
            for name, text in (("target", raw), ("target2", second)):
                if text is None:
                    continue
                try:
                    validate_imei(text)
                except KioskError as exc:
                    out.errors[name] = refusal(self.speaker, exc)
                    return
        try:
            target = validate_target(
                product, raw, second=second, region=self.config.terminal.region
            )
        except KioskError as exc:
            out.errors["target2" if second else "target"] = refusal(self.speaker, exc)
            return
        if product.target == "bill_account" and out.biller is not None:
            biller = out.biller
            if not biller.accepts(target.value):
                out.errors["target"] = refusal(
                    self.speaker,
                    InvalidAccount(
                        f"{target.value!r} is not a {biller.name} {biller.account_label}; "
                        f"it looks like {biller.account_example}."
                    ),
                )
        if product.target == "imei":
            imeis = [target.value] + ([target.second] if target.second else [])
            try:
                answer = self.host.imei_quote(imeis)
            except KioskError as exc:
                out.errors["target"] = refusal(self.speaker, exc)
                return
            out.imei_model = answer.model
            self._price(answer.fee_minor, out, "target")

    def _check_amount(self, text: str, out: Checked) -> None:
        if not text.strip():
            out.errors["amount"] = refusal(
                self.speaker, InvalidAmount("Type the amount the customer wants to pay.")
            )
            return
        try:
            minor = self.speaker.styles.parse(
                text, self.product.currency, self.speaker.locale
            ).minor
        except MoneyError as exc:
            out.errors["amount"] = refusal(self.speaker, self._typed_wrong(exc))
            return
        if minor <= 0:
            out.errors["amount"] = refusal(
                self.speaker, InvalidAmount("Type an amount above zero.")
            )
            return
        self._price(minor, out, "amount")

    def _price(self, amount_minor: int, out: Checked, name: str) -> None:
        try:
            out.quote = quote(self.product, amount_minor)
        except KioskError as exc:
            out.errors[name] = refusal(self.speaker, exc)
            return
        out.amount_minor = amount_minor

    def _check_cash(self, text: str, out: Checked) -> None:
        assert out.quote is not None
        currency = self.product.currency
        if not text.strip():
            out.errors["cash"] = refusal(
                self.speaker,
                InvalidAmount("Type the cash the customer handed over."),
            )
            return
        try:
            cash = self.speaker.styles.parse(text, currency, self.speaker.locale).minor
            out.change_minor = validate_cash(
                out.quote.total_minor,
                cash,
                currency,
                locale=self.speaker.locale,
                styles=self.speaker.styles,
            )
            out.cash_minor = cash
        except MoneyError as exc:
            out.errors["cash"] = refusal(self.speaker, self._typed_wrong(exc))
        except KioskError as exc:
            out.errors["cash"] = refusal(self.speaker, exc)

    def _typed_wrong(self, exc: MoneyError) -> InvalidAmount:
        """The parser's refusal with the forms this clerk's locale reads, for the page's own
        translated sentence (the parser's words are English, for the CLI)."""
        plain, grouped = self.speaker.styles.example_forms(
            self.product.currency, self.speaker.locale
        )
        return InvalidAmount(str(exc), params={"plain": plain, "grouped": grouped or plain})

    def _next_focus(self, out: Checked, upto: str | None) -> str:
        """Where Enter takes the clerk: the first refused field, else the one after ``upto``."""
        for name in self.fields:
            if name in out.errors:
                return name
        if upto is None or upto not in self.fields:
            return ""
        after = self.fields[self.fields.index(upto) + 1 :]
        if not after:
            return "sell" if out.ready else ""
        if after[0] == "id_checked" and out.amount_minor is not None:
            limit = self.product.id_check_above_minor or 0
            if out.amount_minor <= limit:
                after = after[1:]
        return after[0] if after else ("sell" if out.ready else "")

    def request(self, form: Mapping[str, str], checked: Checked, *, clerk: str) -> SaleRequest:
        """The sale the form describes (its card number filled in by the caller for a swipe)."""
        product = self.product
        second = form.get("target2", "").strip() or None
        return SaleRequest(
            product=product.id,
            target=form.get("target", "") if product.target != "none" else "",
            target2=second if product.target == "imei" else None,
            amount_minor=None if product.target == "imei" else checked.amount_minor,
            cash_minor=checked.cash_minor or 0,
            benefit_type=form.get("benefit_type") or None,
            message=(form.get("message") or "").strip() or None,
            biller_id=form.get("biller_id") or None,
            clerk=clerk,
            id_checked=form.get("id_checked") == "1",
        )


__all__ = [
    "BANKNOTES",
    "DEFAULT_DENOMINATIONS",
    "BillerCatalog",
    "Checked",
    "SaleForm",
    "cash_options",
    "denominations",
    "fields_of",
]
