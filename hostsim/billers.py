"""The biller catalog (SmartPay.az style): mobile, internet, TV, utilities and more, in AZN.

The terminal never hard-codes billers (business-rules.md section 4): it reads this list from
``GET /v1/catalog``. Each biller says what its account number looks like (a regex and an
example) so the terminal can check the clerk's typing before going online, and the host checks
it again because it is the authority.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from foundation.host_wire import DeclineCode as D
from hostsim import testnumbers
from hostsim.errors import Decline
from hostsim.messages import format_minor
from hostsim.products import Ctx, Product, ProvisionInput

MIN_BILL_MINOR = 10
MAX_BILL_MINOR = 500_000

#: Account formats shared by many billers.
_MOBILE = (r"^0(50|51|55|70|77|99|10|60)[0-9]{7}$", "0501234567", "phone number (0XX XXX XX XX)")
_CONTRACT8 = (r"^[0-9]{8}$", "12345678", "8-digit contract number")
_CONTRACT10 = (r"^[0-9]{10}$", "1234567890", "10-digit subscriber code")
_LOGIN = (r"^[A-Za-z0-9._-]{3,32}$", "user.name", "login name")
_LANDLINE = (r"^(12|18|2[0-9])[0-9]{7}$", "124901234", "landline number with area code")


@dataclass(frozen=True)
class Biller:
    id: str
    name: str
    category: str
    account_regex: str
    account_example: str
    account_label: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "account_label": self.account_label,
            "account_regex": self.account_regex,
            "account_example": self.account_example,
            "currency": "AZN",
            "min_minor": MIN_BILL_MINOR,
            "max_minor": MAX_BILL_MINOR,
        }


def _b(id_: str, name: str, category: str, fmt: tuple[str, str, str]) -> Biller:
    return Biller(id_, name, category, fmt[0], fmt[1], fmt[2])


BILLERS: tuple[Biller, ...] = (
    # mobile operators
    _b("azercell", "Azercell", "mobile", _MOBILE),
    _b("bakcell", "Bakcell", "mobile", _MOBILE),
    _b("nar", "Nar", "mobile", _MOBILE),
    _b("naxtel", "Naxtel", "mobile", _MOBILE),
    _b("azercell-biznes", "Azercell Biznes", "mobile", _CONTRACT10),
    _b("bakcell-korporativ", "Bakcell Korporativ", "mobile", _CONTRACT10),
    # home internet and landline
    _b("baktelecom", "Baktelecom", "home_internet", _LANDLINE),
    _b("aztelekom", "Aztelekom", "home_internet", _LANDLINE),
    _b("azeurotel", "AzEuroTel", "home_internet", _CONTRACT8),
    _b("citynet", "CityNet", "home_internet", _CONTRACT8),
    _b("uninet", "Uninet", "home_internet", _CONTRACT8),
    _b("ultel", "Ultel", "home_internet", _CONTRACT8),
    _b("connect", "Connect", "home_internet", _LOGIN),
    _b("azeronline", "AzerOnline", "home_internet", _LOGIN),
    _b("sazz", "Sazz", "home_internet", _LOGIN),
    _b("alfanet", "Alfanet", "home_internet", _CONTRACT8),
    _b("smart-online", "Smart Online", "home_internet", _CONTRACT8),
    _b("azdatacom", "Azdatacom", "home_internet", _CONTRACT8),
    _b("globalnet", "Global Networks", "home_internet", _CONTRACT8),
    _b("azintelecom", "AzInTelecom", "home_internet", _CONTRACT10),
    _b("kompnet", "Kompnet", "home_internet", _LOGIN),
    _b("eurosel", "Eurosel", "home_internet", _CONTRACT8),
    _b("datasat", "Datasat", "home_internet", _CONTRACT8),
    _b("nakhtel-net", "Naxtel Net", "home_internet", _CONTRACT8),
    _b("ailenet", "Ailə Net", "home_internet", _CONTRACT8),
    # TV
    _b("katv1", "KATV1", "tv", _CONTRACT8),
    _b("aile-tv", "Ailə TV", "tv", _CONTRACT8),
    _b("bbtv", "BBTV", "tv", _CONTRACT8),
    _b("baku-tv-cable", "Bakı Kabel TV", "tv", _CONTRACT8),
    _b("teleplus", "TelePlus", "tv", _CONTRACT8),
    _b("alfa-tv", "Alfa TV", "tv", _CONTRACT8),
    _b("nar-tv", "Nar TV", "tv", _MOBILE),
    # utilities
    _b("azeriqaz", "Azəriqaz", "utilities", (r"^[0-9]{11}$", "12345678901", "11-digit gas code")),
    _b("azerishiq", "Azərişıq", "utilities", (r"^[0-9]{9}$", "123456789", "9-digit meter code")),
    _b("azersu", "Azərsu", "utilities", (r"^[0-9]{7,9}$", "1234567", "water subscriber code")),
    _b("azeristilik", "Azəristiliktəchizat", "utilities", _CONTRACT8),
    _b("naxcivan-qaz", "Naxçıvan Qaz", "utilities", _CONTRACT8),
    _b("naxcivan-enerji", "Naxçıvan Enerji", "utilities", _CONTRACT8),
    _b("sumqayit-su", "Sumqayıt Su", "utilities", _CONTRACT8),
    _b("ganja-su", "Gəncə Su", "utilities", _CONTRACT8),
    _b("baki-lift", "Bakı Lift Xidməti", "utilities", _CONTRACT8),
    _b("meniz-mtk", "Mənzil-Tikinti Kooperativi", "utilities", _CONTRACT8),
    # transport, government, education, finance
    _b("bakikart", "BakıKart", "transport", (r"^[0-9]{10}$", "1234567890", "card number")),
    _b("avtovagzal", "Bakı Avtovağzal", "transport", _CONTRACT8),
    _b("parking-baku", "Bakı Parklanma", "transport", _CONTRACT8),
    _b(
        "yol-polisi",
        "Yol Polisi cərimələri",
        "government",
        (r"^[A-Z]{2}[0-9]{6,10}$", "AB123456", "fine protocol number"),
    ),
    _b("asan-xidmet", "ASAN Xidmət rüsumları", "government", _CONTRACT10),
    _b("dim", "Dövlət İmtahan Mərkəzi", "education", _CONTRACT10),
    _b("bdu", "Bakı Dövlət Universiteti", "education", _CONTRACT8),
    _b("adnsu", "ADNSU təhsil haqqı", "education", _CONTRACT8),
    _b("kapital-bank-kredit", "Kapital Bank kredit", "finance", _CONTRACT10),
    _b("unibank-kredit", "Unibank kredit", "finance", _CONTRACT10),
    _b("pasha-sigorta", "PAŞA Sığorta", "insurance", _CONTRACT10),
    _b("ateshgah-sigorta", "Atəşgah Sığorta", "insurance", _CONTRACT10),
    _b("azersigorta", "Azərsığorta", "insurance", _CONTRACT10),
    _b("icbari-sigorta", "İcbari Sığorta Bürosu", "insurance", _CONTRACT10),
)

BILLERS_BY_ID: dict[str, Biller] = {b.id: b for b in BILLERS}


def biller_or_decline(biller_id: str) -> Biller:
    biller = BILLERS_BY_ID.get(biller_id)
    if biller is None:
        raise Decline(
            D.UNKNOWN_BILLER,
            f"No biller {biller_id!r} is in the catalog; refresh the catalog and choose again.",
        )
    return biller


def check_account(biller: Biller, account: str) -> str:
    text = account.strip()
    if not re.fullmatch(biller.account_regex, text):
        raise Decline(
            D.INVALID_BILLER_ACCOUNT,
            f"{text!r} is not a {biller.name} {biller.account_label}; it looks like "
            f"{biller.account_example}.",
        )
    if biller.id == testnumbers.INVALID_BILL_BILLER and text == testnumbers.INVALID_BILL_ACCOUNT:
        raise Decline(
            D.INVALID_BILLER_ACCOUNT,
            f"{biller.name} has no open account {text}; check the number on the customer's bill.",
        )
    return text


class BillPayment(Product):
    """``bill-payment``: pays one biller account; the biller reference goes on the slip."""

    product = "bill-payment"
    currency = "AZN"

    def authorize(self, ctx: Ctx, req: ProvisionInput) -> dict[str, Any]:
        biller = biller_or_decline(str(req.fields.get("biller_id", "")))
        account = check_account(biller, req.target)
        if not MIN_BILL_MINOR <= req.amount_minor <= MAX_BILL_MINOR:
            raise Decline(
                D.AMOUNT_OUT_OF_RANGE,
                f"{biller.name} accepts payments from {format_minor(MIN_BILL_MINOR, 'AZN')} to "
                f"{format_minor(MAX_BILL_MINOR, 'AZN')}; choose another amount.",
            )
        return {
            "biller_id": biller.id,
            "biller_name": biller.name,
            "account": account,
            "biller_reference": f"{biller.id[:3].upper()}-{req.txn}",
        }


__all__ = ["BILLERS", "BILLERS_BY_ID", "BillPayment", "Biller", "biller_or_decline"]
