"""Documented test numbers: each one makes the reference host decline in one specific way.

In test mode every other valid card number, phone number, IMEI and account is known (created on
first use), so these constants are the only way to reach each decline. Tests import them
instead of repeating digits; docs/host-protocol.md lists the same table for integrators.
"""

from __future__ import annotations

from typing import Final

# -- prepaid cards (card-topup); all Luhn-valid -----------------------------------------------
#: An ordinary Online card: top-ups are approved.
ONLINE_CARD: Final = "4000000000000010"
#: A Premium card: approved, product data says ``premium``.
PREMIUM_CARD: Final = "4000000000000051"
#: Declined ``unknown_card``: the issuer has no such card.
UNKNOWN_CARD: Final = "4000000000000028"
#: Declined ``card_blocked``.
BLOCKED_CARD: Final = "4000000000000036"
#: Declined ``kyc_required``: the holder must show documents to the issuer first.
KYC_REQUIRED_CARD: Final = "4000000000000044"

# -- MTS subscribers (mobile-topup) -----------------------------------------------------------
#: An ordinary subscriber (created on first use with balance 0 and validity = today).
SUBSCRIBER: Final = "+381641234567"
#: Declined ``subscriber_barred``.
BARRED_SUBSCRIBER: Final = "+381640000013"
#: Declined ``unknown_subscriber``.
UNKNOWN_SUBSCRIBER: Final = "+381640000014"

# -- IMEI registration (imei-fee); all check-digit-valid -------------------------------------
#: A single-SIM model (Nokia 105, TAC 35674108).
IMEI_SINGLE: Final = "356741080000010"
#: The two IMEIs of a duos model (Samsung Galaxy A12 Duos, TAC 35332510).
IMEI_DUOS_1: Final = "353325100000011"
IMEI_DUOS_2: Final = "353325100000029"
#: A TAC the fee table does not list: quoted at the default fee, single or duos both accepted.
IMEI_UNLISTED: Final = "350000001234562"
#: Declined ``device_type_mismatch``: give only ``IMEI_DUOS_1`` (one IMEI for a duos model), or
#: ``IMEI_SINGLE`` together with a second IMEI.

# -- bill payments (bill-payment) -------------------------------------------------------------
#: Azercell account that has the right format but is closed: ``invalid_biller_account``.
INVALID_BILL_ACCOUNT: Final = "0500000000"
INVALID_BILL_BILLER: Final = "azercell"
#: Biller id the catalog does not list: ``unknown_biller``.
UNKNOWN_BILLER: Final = "no-such-biller"

# -- benefit accounts (benefit-payment) -------------------------------------------------------
#: An ordinary benefit account (500.00 EUR per benefit type on first use).
BENEFIT_ACCOUNT: Final = "BEN00000001"
#: Every benefit balance is 0: ``insufficient_benefit_balance``.
EMPTY_BENEFIT_ACCOUNT: Final = "BEN00000002"
#: Declined ``unknown_benefit_account``.
UNKNOWN_BENEFIT_ACCOUNT: Final = "BEN00000404"

__all__ = [
    "BARRED_SUBSCRIBER",
    "BENEFIT_ACCOUNT",
    "BLOCKED_CARD",
    "EMPTY_BENEFIT_ACCOUNT",
    "IMEI_DUOS_1",
    "IMEI_DUOS_2",
    "IMEI_SINGLE",
    "IMEI_UNLISTED",
    "INVALID_BILL_ACCOUNT",
    "INVALID_BILL_BILLER",
    "KYC_REQUIRED_CARD",
    "ONLINE_CARD",
    "PREMIUM_CARD",
    "SUBSCRIBER",
    "UNKNOWN_BENEFIT_ACCOUNT",
    "UNKNOWN_BILLER",
    "UNKNOWN_CARD",
    "UNKNOWN_SUBSCRIBER",
]
