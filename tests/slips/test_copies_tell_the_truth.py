"""Copies and storno slips that tell the truth (issue 14, item 7): a copy of a reversed sale
says so in large type and offers no storno; the storno note is per product (MTS's debt note on
mobile top-ups only, never on card top-ups); the refund states the face value and the fees paid
back (docs/storno.md: fees are refunded, the storno corrects a counter mistake)."""

from __future__ import annotations

from helpers.kiosk import Counter

from printer_templates.i18n import translations

DEBT_NOTE = (
    "Storno of transaction %(txn)s for %(amount)s started; if you spent part of it, that part "
    "is deducted from your next top-up."
)


def _sl(message: str) -> str:
    return translations("sl").gettext(message)


def test_a_copy_of_a_reversed_sale_says_so_and_offers_no_storno(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    sale = counter.sell("card-topup")
    original = counter.printer.slips[-1]
    storno_until = _sl("Mistakes can be reversed here until %(time)s.").split("%(time)s")[0]
    assert storno_until in original.text

    outcome = kiosk.stornos.storno(sale.txn, reason="wrong_number", clerk="1")
    assert outcome.state == "stornoed", outcome.instruction
    storno_slip = " ".join(counter.printer.slips[-1].text.split())
    # card top-ups: no MTS debt note; the refund is the face value plus the fees refunded
    assert _sl(DEBT_NOTE).split("%(")[0] not in storno_slip
    assert _sl("Fees refunded") in storno_slip and _sl("Paid back") in storno_slip
    record = kiosk.store.get(sale.txn)
    fees = record.total_minor - record.amount_minor
    assert fees > 0 and outcome.refund_minor == record.total_minor

    copy = kiosk.reprints.reprint(sale.txn, slip="sale")
    assert copy.copy_number == 1
    printed = counter.printer.slips[-1]
    assert _sl("REVERSED") in printed.text
    assert storno_until not in printed.text  # no "storno possible until" on a dead slip
    big = [r for r in printed.rows if r.kind == "text" and _sl("REVERSED") in r.text]
    assert big and big[0].wscale == 2 and big[0].hscale == 2  # large type


def test_mobile_top_up_storno_keeps_the_operators_debt_note_with_the_face_value(
    rs_counter: Counter,
) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    sale = counter.sell("mobile-topup")
    outcome = kiosk.stornos.storno(sale.txn, reason="wrong_number", clerk="1")
    assert outcome.state == "stornoed"
    text = " ".join(counter.printer.slips[-1].text.split())  # the note wraps on paper
    note_start = " ".join(translations("sr_Latn").gettext(DEBT_NOTE).split("%(")[0].split())
    assert note_start in text
