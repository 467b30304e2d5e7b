"""``[money]``: how this market writes amounts, and ``[money.<CURRENCY>]`` each currency's style.

Left out, the built-in table of :mod:`foundation.money` applies; never Babel's CLDR currency data
(it changes with Babel releases, and a slip's amounts must not).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, create_model, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler

from foundation.money import (
    CURRENCY_EXPONENTS,
    DEFAULT_MONEY_STYLES,
    CurrencyStyle,
    MoneyStyles,
    Writing,
)
from terminal.config.models import TerminalConfig
from terminal.config.schema import (
    PositiveAmount,
    Refusal,
    Table,
    ValidationInfo,
    currency_of,
    setting,
)

WRITING_KEYS = ("decimal_separator", "group_separator", "sign_position", "sign_space")
_SEPARATOR_HINT = 'write one character that is not a digit, such as "," or "."'
_GROUP_HINT = 'write "", " ", ".", "," or "\u2019", and not the decimal separator'
_SIGN_HINT = 'write the symbol or ISO code in quotes, such as "€" or "RSD"'


def _sign(value: Any) -> Any:
    if isinstance(value, str) and (
        not value.strip() or any(c.isdigit() for c in value) or value != value.strip()
    ):
        raise Refusal(_SIGN_HINT)
    return value


class CurrencyStyleTable(Table):
    """``[money.<CURRENCY>]``; amounts (``max_change``) are in that currency."""

    decimals: int | None = setting(None, hint="write a whole number of decimals")
    sign: Annotated[str | None, BeforeValidator(_sign)] = setting(None, hint=_SIGN_HINT)
    screen_sign: Annotated[str | None, BeforeValidator(_sign)] = setting(None, hint=_SIGN_HINT)
    #: the most change a sale gives back (default: the largest banknote, foundation.money)
    max_change: PositiveAmount | None = setting(None, hint='write an amount such as "500.00"')

    @model_validator(mode="wrap")
    @classmethod
    def _decimals_within_iso(
        cls, data: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        table = handler(data)
        iso = CURRENCY_EXPONENTS[currency_of(info)]
        if table.decimals is not None and not 0 <= table.decimals <= iso:
            raise Refusal(
                f"write a whole number from 0 to {iso}", at=("decimals",), value=table.decimals
            )
        return table

    def style(self, currency: str) -> CurrencyStyle:
        default = DEFAULT_MONEY_STYLES.currency(currency)
        sign = self.sign if self.sign is not None else default.sign
        screen_default = sign if self.sign is not None else default.screen_sign
        return CurrencyStyle(
            self.decimals if self.decimals is not None else default.decimals,
            sign,
            self.screen_sign if self.screen_sign is not None else screen_default,
            self.max_change,
        )


def _in_currency(currency: str) -> BeforeValidator:
    """Amounts below ``[money.<currency>]`` are in that currency."""

    def record(value: Any, info: ValidationInfo) -> Any:
        if isinstance(info.context, dict):
            info.context["currency"] = currency
        return value

    return BeforeValidator(record)


class _WritingTable(Table):
    decimal_separator: str | None = setting(None, hint=_SEPARATOR_HINT)
    group_separator: str | None = setting(None, hint=_GROUP_HINT)
    sign_position: Literal["before", "after"] | None = setting(
        None, hint='use one of "before", "after"'
    )
    sign_space: bool | None = setting(None, hint="write true or false")

    @model_validator(mode="wrap")
    @classmethod
    def _complete(
        cls, data: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        table = handler(data)
        terminal: TerminalConfig = (info.context or {})["terminal"]
        base = DEFAULT_MONEY_STYLES.find_writing(terminal.locale)
        given = [name for name in WRITING_KEYS if getattr(table, name) is not None]
        if base is None and len(given) != len(WRITING_KEYS):
            if not given:
                raise Refusal(
                    f"the terminal has no built-in way of writing money for locale "
                    f"{terminal.locale!r}: add a [money] table with {', '.join(WRITING_KEYS)}",
                    missing=True,
                )
            first = next(name for name in WRITING_KEYS if name not in given)
            raise Refusal(
                f"the terminal has no built-in way of writing money for {terminal.locale!r}: "
                f"set {', '.join(WRITING_KEYS)}",
                at=(first,),
                missing=True,
            )
        writing = table.writing(base)
        if len(writing.decimal_separator) != 1 or writing.decimal_separator.isdigit():
            raise Refusal(
                _SEPARATOR_HINT, at=("decimal_separator",), value=writing.decimal_separator
            )
        group = writing.group_separator
        if group not in ("", " ", ".", ",", "'", "’") or group == writing.decimal_separator:
            raise Refusal(_GROUP_HINT, at=("group_separator",), value=group)
        return table

    def writing(self, base: Writing | None) -> Writing:
        """The market's writing: what the table sets, the locale's built-in one for the rest."""
        if base is None:
            base = Writing("", "", "before", False)  # every key is set, or _complete refused
        position = self.sign_position or base.sign_position
        return Writing(
            self.decimal_separator
            if self.decimal_separator is not None
            else base.decimal_separator,
            self.group_separator if self.group_separator is not None else base.group_separator,
            "before" if position == "before" else "after",
            self.sign_space if self.sign_space is not None else base.sign_space,
        )


_CURRENCY_TABLES: dict[str, Any] = {
    code: (
        Annotated[CurrencyStyleTable | None, _in_currency(code)],
        setting(None, hint=f"make [money.{code}] a table"),
    )
    for code in CURRENCY_EXPONENTS
}
#: ``[money]``: the writing keys, and one optional table per currency the terminal knows.
MoneyTable: type[_WritingTable] = create_model(
    "MoneyTable", __base__=_WritingTable, __module__=__name__, **_CURRENCY_TABLES
)


def money_styles(table: _WritingTable, terminal: TerminalConfig) -> MoneyStyles:
    """The built-in styles with this market's ``[money]`` over them."""
    base = DEFAULT_MONEY_STYLES.find_writing(terminal.locale)
    writing = table.writing(base)
    styles = {
        code: style.style(code)
        for code in CURRENCY_EXPONENTS
        if (style := getattr(table, code, None)) is not None
    }
    return DEFAULT_MONEY_STYLES.with_market(terminal.locale, writing, styles)


__all__ = ["WRITING_KEYS", "CurrencyStyleTable", "MoneyTable", "money_styles"]
