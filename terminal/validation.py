"""Checks of what the clerk types, each refusal a named error saying what to do instead.

Check digits and phone-number rules come from python-stdnum and phonenumbers, never from
hand-written arithmetic: they know the edge cases (IMEISV lengths, numbering plans) we would not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.errors import AmountOutOfRange
from terminal.money import Money

if TYPE_CHECKING:
    from terminal.catalog import ProductConfig


def validate_amount(product: ProductConfig, amount_minor: int) -> int:
    """Refuse a face value outside the product's min/max or off its step."""
    locale = product.locale

    def show(minor: int) -> str:
        return Money(minor, product.currency).format(locale)

    in_range = product.min_minor <= amount_minor <= product.max_minor
    on_step = amount_minor % product.step_minor == 0
    if not (in_range and on_step):
        raise AmountOutOfRange(
            f"{show(amount_minor)} cannot be sold as {product.display_name('en').lower()}: "
            f"type an amount from {show(product.min_minor)} to {show(product.max_minor)}"
            f" in steps of {show(product.step_minor)}."
        )
    return amount_minor
