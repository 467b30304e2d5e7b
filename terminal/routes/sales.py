"""Local API of selling: the quote, a sale, and a sale to the card of a swipe.

* ``GET /quote`` -- what the customer pays for ``amount_minor`` of ``product`` (fees, total).
* ``POST /sales`` -- a sale as the till sends it; 200 when confirmed (the slip printed), 409
  with the same body when declined or not printed (the clerk must act on it).
* ``POST /sales/by-swipe`` -- a sale to the card of a ``swipe_id`` (``GET /events``); the
  number never crosses the API: the body is ``POST /sales``'s with ``card_swipe_id`` in place
  of ``target``.

Both sales are here, one body derived from the other, so a field added to the sale form is
added to both at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from terminal.catalog import PRODUCT_TARGETS
from terminal.errors import WrongTargetKind
from terminal.kiosk import Kiosk
from terminal.routes.idempotency import IdempotencyKey
from terminal.routes.schemas import Fee, Model, SaleResult, answer, errors, outcome_or_error
from terminal.sale import SaleRequest


class SellBody(BaseModel):
    """A sale as the till sends it; amounts in minor units (cents)."""

    model_config = ConfigDict(extra="forbid")

    product: str = Field(min_length=1, max_length=40)
    target: str = Field(default="", max_length=80)
    target2: str | None = Field(default=None, max_length=80)
    #: leave out for an IMEI fee: the host quotes it per phone model
    amount_minor: StrictInt | None = Field(default=None, gt=0, le=10**12)
    cash_minor: StrictInt = Field(ge=0, le=10**12)
    benefit_type: str | None = Field(default=None, max_length=40)
    message: str | None = Field(default=None, max_length=500)
    biller_id: str | None = Field(default=None, max_length=40)
    clerk: str | None = Field(default=None, max_length=40)
    id_checked: bool = False


class SwipeSellBody(SellBody):
    """``POST /sales``'s body, the card number replaced by the id of its swipe."""

    card_swipe_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    target: Literal[""] = ""


class Quote(Model):
    """What the customer pays: the face value, each fee and the total, in minor units."""

    currency: str
    amount_minor: int
    fees: list[Fee]
    total_minor: int


_NOT_CONFIRMED = "Not confirmed (declined, not printed: `SaleResult`), or an idempotency error."


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter(tags=["sales"])

    @routes.get("/quote", response_model=Quote, responses=errors())
    def quote(product: str, amount_minor: Annotated[int, Field(gt=0, le=10**12)]) -> JSONResponse:
        """What the customer pays for ``amount_minor`` of ``product``: fees and total."""
        return answer(kiosk.sales.quote(product, amount_minor).to_dict())

    @routes.post(
        "/sales",
        response_model=SaleResult,
        responses=outcome_or_error(SaleResult, _NOT_CONFIRMED, 404, 503),
    )
    def sell(body: SellBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """A sale; without ``clerk`` it is recorded as clerk "api" (the till holds the token).

        With ``Idempotency-Key`` the key is recorded with the sale: a repeat answers the first
        sale (``GET /api/v1/idempotency-keys/{key}`` finds it after a crash).
        """
        sent = body.model_dump()
        fields = {**sent, "clerk": kiosk.clerks.sale_clerk(body.clerk)}
        if idempotency_key is not None:
            kept = kiosk.idempotency.sell(SaleRequest(**fields), key=idempotency_key, body=sent)
            return answer(kept.body, kept.status)
        result = kiosk.sales.sell(SaleRequest(**fields))
        return answer(result.to_dict(), 200 if result.ok else 409)

    @routes.post(
        "/sales/by-swipe",
        response_model=SaleResult,
        responses=outcome_or_error(SaleResult, _NOT_CONFIRMED, 503),
    )
    def sell_by_swipe(body: SwipeSellBody) -> JSONResponse:
        """Sell to the card of a swipe; the swipe is used up, whatever the host answers."""
        if PRODUCT_TARGETS.get(body.product) != "card":
            kiosk.config.product(body.product)  # an unknown product says so first
            raise WrongTargetKind(
                f"{body.product} is not sold to a card: type its beneficiary in the sale form."
            )
        fields = body.model_dump(exclude={"card_swipe_id", "target"})
        fields["clerk"] = kiosk.clerks.sale_clerk(body.clerk)
        # A sale refused before anything was recorded gives the swipe back (SaleService.sell).
        request = SaleRequest(target="", **fields)
        result = kiosk.sales.sell(request, swipe_id=body.card_swipe_id)
        return answer(result.to_dict(), 200 if result.ok else 409)

    return routes


__all__ = ["Quote", "SellBody", "SwipeSellBody", "router"]
