"""What the clerk types is checked with stdnum/phonenumbers and refused in plain words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from terminal.catalog import ProductConfig
from terminal.config import KioskConfig, load_config, write_preset
from terminal.errors import (
    AmountOutOfRange,
    IdCheckRequired,
    InvalidAccount,
    InvalidBenefitType,
    InvalidCardNumber,
    InvalidImei,
    InvalidInput,
    InvalidMessage,
    InvalidPhoneNumber,
    NotEnoughCash,
    WrongTargetKind,
)
from terminal.validation import (
    PHONE_TO_CARD_REFUSAL,
    Target,
    check_id,
    validate_amount,
    validate_benefit_type,
    validate_card_number,
    validate_cash,
    validate_imei,
    validate_imei_pair,
    validate_message,
    validate_phone,
    validate_target,
)

IMEI_A = "490154203237518"
IMEI_B = "356938035643809"


@pytest.fixture(scope="module")
def presets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KioskConfig]:
    folder = tmp_path_factory.mktemp("presets")
    return {
        market: load_config(write_preset(folder / f"{market}.toml", market))
        for market in ("si", "rs", "az", "fi")
    }


def _product(presets: dict[str, KioskConfig], product_id: str) -> ProductConfig:
    for cfg in presets.values():
        if product_id in cfg.products:
            return cfg.products[product_id]
    raise AssertionError(product_id)


# --- card numbers ---------------------------------------------------------------------------


def test_card_number_is_cleaned_and_masked() -> None:
    card = validate_card_number(" 4111-1111 1111 1111 ")
    assert card.number == "4111111111111111"
    assert card.last4 == "1111"
    assert card.masked == "**** **** **** 1111"
    assert card.grouped == "4111 1111 1111 1111"
    assert "4111111111111111" not in repr(card)
    assert str(card) == card.masked


def test_nineteen_digit_card_keeps_its_last_four_in_one_group() -> None:
    number = "6011000990139424" + "000"
    number = number[:-1] + str(luhn.calc_check_digit(number[:-1]))
    card = validate_card_number(number)
    assert card.masked.endswith(" " + card.last4)
    assert card.masked.count("*") == 15


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("4111111111111112", "fails its check digit"),
        ("4111 1111", "12 to 19 digits"),
        ("4111x11111111111", "only digits"),
        ("", "No card number"),
    ],
)
def test_bad_card_numbers_are_refused(raw: str, says: str) -> None:
    with pytest.raises(InvalidCardNumber, match=says):
        validate_card_number(raw)


@pytest.mark.parametrize("raw", ["+386 31 891 888", "031891888", "031 891 888", "0038631891888"])
def test_card_topup_refuses_a_phone_number_with_the_rules_reason(
    presets: dict[str, KioskConfig], raw: str
) -> None:
    with pytest.raises(WrongTargetKind) as caught:
        validate_target(_product(presets, "card-topup"), raw, region="SI")
    assert str(caught.value) == PHONE_TO_CARD_REFUSAL
    assert str(caught.value).startswith(
        "Top-up to a phone number is not possible at the point of sale"
    )
    assert caught.value.code == "wrong_target_kind"


def test_card_topup_target_carries_full_number_and_mask(presets: dict[str, KioskConfig]) -> None:
    target = validate_target(_product(presets, "card-topup"), "5555 5555 5555 4444", region="SI")
    assert target == Target(
        "card", "5555555555554444", "5555 5555 5555 4444", "**** **** **** 4444", "4444"
    )
    assert "5555555555554444" not in repr(target)


@settings(max_examples=100, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_any_luhn_valid_card_number_is_accepted(body: str) -> None:
    body = "4" + body[1:]
    number = body + luhn.calc_check_digit(body)
    card = validate_card_number(number)
    assert card.number == number
    assert card.last4 == number[-4:]
    assert len(card.masked.replace(" ", "")) == len(number)


@settings(max_examples=100, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=11, max_size=18), wrong=st.integers(1, 9))
def test_any_wrong_check_digit_is_refused(body: str, wrong: int) -> None:
    good = int(luhn.calc_check_digit(body))
    with pytest.raises(InvalidCardNumber):
        validate_card_number(body + str((good + wrong) % 10))


# --- IMEIs ----------------------------------------------------------------------------------


def test_valid_imei_is_returned_as_digits() -> None:
    assert validate_imei("49-015420-323751-8") == IMEI_A


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("490154203237517", "fails its check digit"),
        ("49015420323751", "exactly 15 digits, this has 14"),
        ("4901542032375181", "16 digits is the IMEISV"),
        ("49015420323751A", "only digits"),
    ],
)
def test_bad_imei_is_refused(raw: str, says: str) -> None:
    with pytest.raises(InvalidImei, match=says):
        validate_imei(raw)


def test_duos_phone_needs_two_different_imeis(presets: dict[str, KioskConfig]) -> None:
    assert validate_imei_pair(IMEI_A, IMEI_B) == (IMEI_A, IMEI_B)
    with pytest.raises(InvalidImei, match="Both IMEIs are the same"):
        validate_imei_pair(IMEI_A, IMEI_A)
    product = _product(presets, "imei-fee")
    target = validate_target(product, IMEI_A, second=IMEI_B, region="AZ")
    assert (target.kind, target.value, target.second) == ("imei", IMEI_A, IMEI_B)
    assert validate_target(product, IMEI_B, region="AZ").second is None
    with pytest.raises(InvalidImei, match="check digit"):
        validate_target(product, IMEI_A, second="356938035643808", region="AZ")


# --- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["064 1234567", "+381 65 1234567", "0661234567"])
def test_mts_prefixes_are_accepted(presets: dict[str, KioskConfig], raw: str) -> None:
    target = validate_target(_product(presets, "mobile-topup"), raw, region="RS")
    assert target.kind == "phone"
    assert target.value.startswith("+3816")
    assert target.display.startswith("06")


def test_other_operator_prefix_is_refused(presets: dict[str, KioskConfig]) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        validate_target(_product(presets, "mobile-topup"), "063 1234567", region="RS")
    assert "063 1234567" in str(caught.value)
    assert "064, 065, 066" in str(caught.value)


def test_validate_phone_forms() -> None:
    phone = validate_phone("064/123-4567", region="RS", prefixes=["064"])
    assert (phone.e164, phone.national, phone.region) == ("+381641234567", "064 1234567", "RS")
    assert validate_phone("063 1234567", region="RS", prefixes=None).e164 == "+381631234567"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("011 1234567", "not a mobile number"),
        ("+386 31 891 888", "a number of Slovenia: only mobile numbers of Serbia"),
        ("064 12", "not a valid phone number"),
        ("hello", "not a phone number"),
    ],
)
def test_bad_phone_is_refused(raw: str, says: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=says):
        validate_phone(raw, region="RS", prefixes=None)


def test_mobile_topup_given_a_card_number_says_so(presets: dict[str, KioskConfig]) -> None:
    with pytest.raises(WrongTargetKind, match="card number"):
        validate_target(_product(presets, "mobile-topup"), "4111111111111111", region="RS")


# --- other targets --------------------------------------------------------------------------


def test_accounts(presets: dict[str, KioskConfig]) -> None:
    bill = validate_target(_product(presets, "bill-payment"), "  AZ-1234  5678 ", region="AZ")
    assert (bill.kind, bill.value) == ("bill_account", "AZ-1234 5678")
    with pytest.raises(InvalidAccount):
        validate_target(_product(presets, "bill-payment"), "1", region="AZ")
    benefit = validate_target(_product(presets, "benefit-payment"), "FI123456", region="FI")
    assert benefit.kind == "benefit_account"


def test_card_sale_takes_no_target(presets: dict[str, KioskConfig]) -> None:
    assert validate_target(_product(presets, "card-sale"), "", region="SI").kind == "none"
    with pytest.raises(WrongTargetKind, match="needs no card"):
        validate_target(_product(presets, "card-sale"), "4111111111111111", region="SI")


def test_second_number_only_for_imei(presets: dict[str, KioskConfig]) -> None:
    with pytest.raises(WrongTargetKind, match="Only an IMEI fee"):
        validate_target(
            _product(presets, "card-topup"), "4111111111111111", second="1", region="SI"
        )


# --- amounts, cash, messages, benefit types, ID check ---------------------------------------


def test_validate_amount_uses_the_markets_formatting(presets: dict[str, KioskConfig]) -> None:
    product = _product(presets, "mobile-topup")
    assert validate_amount(product, 50000) == 50000
    with pytest.raises(AmountOutOfRange) as caught:
        validate_amount(product, 5050)
    message = str(caught.value)
    assert "from 100 RSD to 5.000 RSD" in message
    with pytest.raises(AmountOutOfRange):
        validate_amount(product, 50050)


def test_cash_gives_change_or_says_how_much_to_take() -> None:
    assert validate_cash(15300, 20000, "EUR") == 4700
    assert validate_cash(15300, 15300, "EUR") == 0
    with pytest.raises(NotEnoughCash) as caught:
        validate_cash(15300, 15000, "EUR", locale="sl_SI")
    assert str(caught.value) == (
        "Customer gave 150,00 €, the total is 153,00 €: take at least 153,00 €."
    )


@pytest.mark.parametrize(
    "text", ["Jooga, kevät 2026", "Plavanje — čšžćđ", "Üzgüçülük kursu əğış", "äö ÄÖ"]
)
def test_messages_in_every_language_are_fine(text: str) -> None:
    assert validate_message(text, 60) == text


@pytest.mark.parametrize("text", ["two\nlines", "tab\there", "bell\x07", "zero\u200bwidth"])
def test_control_characters_are_refused(text: str) -> None:
    with pytest.raises(InvalidMessage, match="one line"):
        validate_message(text, 60)


def test_message_length_is_counted_in_characters() -> None:
    assert validate_message("ä" * 60, 60) == "ä" * 60
    with pytest.raises(InvalidMessage, match="has 61 characters but the slip holds 60"):
        validate_message("ä" * 61, 60)


def test_benefit_type_must_be_one_the_location_accepts(presets: dict[str, KioskConfig]) -> None:
    product = _product(presets, "benefit-payment")
    assert validate_benefit_type(product, " sport ") == "sport"
    with pytest.raises(InvalidBenefitType, match="sport, massage, culture"):
        validate_benefit_type(product, "food")


def test_id_check_above_the_limit(presets: dict[str, KioskConfig]) -> None:
    product = _product(presets, "card-topup")
    check_id(product, 25000, id_checked=False)
    check_id(product, 25001, id_checked=True)
    with pytest.raises(IdCheckRequired, match="Above 250,00 €"):
        check_id(product, 25001, id_checked=False)


def test_every_refusal_is_invalid_input_with_its_own_code() -> None:
    classes = [
        InvalidCardNumber,
        InvalidImei,
        InvalidPhoneNumber,
        WrongTargetKind,
        AmountOutOfRange,
        NotEnoughCash,
        InvalidMessage,
        InvalidBenefitType,
        IdCheckRequired,
        InvalidAccount,
    ]
    assert all(issubclass(cls, InvalidInput) for cls in classes)
    assert len({cls.code for cls in classes}) == len(classes)
