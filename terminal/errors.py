"""Named refusals with a message the clerk can act on.

Every refusal the terminal shows comes from one of these classes, so the screen, the CLI and the
local API can print ``str(error)`` as is and scripts can switch on ``error.code``. The host
client's errors derive from :class:`KioskError`; the devices' and the store's derive, like it,
from the one root ``foundation.errors.ClerkFacingError``.
"""

from __future__ import annotations

from foundation.errors import ClerkFacingError


class KioskError(ClerkFacingError):
    """Base of every refusal of the terminal's own rules (the root is ``foundation.errors``)."""

    #: Short machine-readable name of the refusal (snake_case); subclasses set their own.
    code: str = "kiosk_error"


class InvalidInput(KioskError):
    """Something the clerk typed or scanned cannot be used; type it again."""

    code = "invalid_input"


class InvalidCardNumber(InvalidInput):
    code = "invalid_card_number"


class InvalidImei(InvalidInput):
    code = "invalid_imei"


class InvalidPhoneNumber(InvalidInput):
    code = "invalid_phone_number"


class WrongTargetKind(InvalidInput):
    """The product needs another kind of beneficiary (e.g. a card number, not a phone)."""

    code = "wrong_target_kind"


class InvalidAccount(InvalidInput):
    """A bill or benefit account reference that cannot be an account."""

    code = "invalid_account"


class InvalidAmount(InvalidInput):
    """Text that is not an amount of money at all."""

    code = "invalid_amount"


class AmountOutOfRange(InvalidInput):
    code = "amount_out_of_range"


class NotEnoughCash(InvalidInput):
    code = "not_enough_cash"


class CashTooLarge(InvalidInput):
    """More cash than the total plus the most change a counter gives back: a typo, not cash."""

    code = "cash_too_large"


class InvalidMessage(InvalidInput):
    code = "invalid_message"


class InvalidBenefitType(InvalidInput):
    code = "invalid_benefit_type"


class InvalidDuration(InvalidInput):
    code = "invalid_duration"


class UnknownProduct(InvalidInput):
    code = "unknown_product"


class IdCheckRequired(InvalidInput):
    """The amount is above the product's ID-check limit and the clerk has not confirmed one."""

    code = "id_check_required"


class ConfigError(KioskError):
    """kiosk.toml cannot be used; the message names the key, the bad value and what is allowed."""

    code = "config_error"

    def __init__(self, message: str, *, key: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.key = key


class ConfigExists(ConfigError):
    """Refusing to overwrite a configuration (and its terminal key) without being told to."""

    code = "config_exists"


__all__ = [
    "AmountOutOfRange",
    "ConfigError",
    "ConfigExists",
    "IdCheckRequired",
    "InvalidAccount",
    "InvalidAmount",
    "InvalidBenefitType",
    "InvalidCardNumber",
    "InvalidDuration",
    "InvalidImei",
    "InvalidInput",
    "InvalidMessage",
    "InvalidPhoneNumber",
    "KioskError",
    "NotEnoughCash",
    "UnknownProduct",
    "WrongTargetKind",
]
