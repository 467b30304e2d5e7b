"""Local API of the clerks: list, add, new PIN, unlock, deactivate, sign in and out.

The caller holds the terminal's API token (the counter screen, the shop's till, ``kiosk``
commands), which is the shop owner's: clerk administration needs nothing more. A screen that
knows who is signed in sends ``by`` (that clerk's number), and then only an active supervisor
may add, unlock or deactivate, or change another clerk's PIN; the journal records ``by``.

* ``GET /clerks`` -- every clerk (deactivated too), never a PIN or its hash.
* ``POST /clerks`` -- add one: ``number``, ``name``, ``pin``, ``role``.
* ``POST /clerks/{number}/pin`` -- a new PIN (clears a lockout).
* ``POST /clerks/{number}/unlock`` -- end a lockout now.
* ``POST /clerks/{number}/deactivate`` -- no more sign-ins; the number is never reused.
* ``POST /clerks/sign-in`` -- number and PIN; refusals do not say whether the number exists.
* ``POST /clerks/{number}/sign-out`` -- journal the end of a session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from terminal.clerks import MAX_NAME_LENGTH
from terminal.kiosk import Kiosk
from terminal.routes.schemas import Model, answer, errors

CLERK_NUMBER = r"^[0-9]{1,6}$"
PIN = r"^[0-9]{4,8}$"

Number = Annotated[str, Path(pattern=CLERK_NUMBER)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ByBody(_Body):
    """Who does it, when a signed-in clerk does (must then be a supervisor)."""

    by: str | None = Field(default=None, pattern=CLERK_NUMBER)


class AddClerkBody(ByBody):
    number: str = Field(pattern=CLERK_NUMBER)
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    pin: str = Field(pattern=PIN)
    role: Literal["clerk", "supervisor"]


class PinBody(ByBody):
    pin: str = Field(pattern=PIN)


class SignInBody(_Body):
    number: str = Field(pattern=CLERK_NUMBER)
    #: any text up to 8 characters: a malformed PIN is a wrong PIN, counted like one
    pin: str = Field(min_length=1, max_length=8)


class SignOutBody(_Body):
    #: why the session ended, e.g. "auto_lock" when the screen locked itself
    reason: str | None = Field(default=None, max_length=40, pattern=r"^[a-z_]+$")


class Clerk(Model):
    """A clerk as the API shows one: never the PIN or its hash."""

    number: str
    name: str
    role: Literal["clerk", "supervisor"]
    active: bool
    #: sign-in is locked after too many wrong PINs, until ``locked_until``
    locked: bool
    locked_until: datetime | None


class ClerkList(Model):
    clerks: list[Clerk]


class ClerkAnswer(Model):
    """The clerk after the change (``null`` only if the number is unknown)."""

    clerk: Clerk | None


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter(tags=["clerks"])
    book = kiosk.clerks

    @routes.get("/clerks", response_model=ClerkList, responses=errors())
    def list_clerks() -> JSONResponse:
        """Every clerk, deactivated ones too."""
        return answer({"clerks": [clerk.to_dict() for clerk in book.list()]})

    @routes.post("/clerks", response_model=ClerkAnswer, responses=errors(409))
    def add_clerk(body: AddClerkBody) -> JSONResponse:
        """Add a clerk; a number once used is never given again."""
        clerk = book.add(body.number, body.name, body.pin, body.role, by=body.by)
        return answer({"clerk": clerk.to_dict()})

    @routes.post("/clerks/sign-in", response_model=ClerkAnswer, responses=errors(409))
    def sign_in(body: SignInBody) -> JSONResponse:
        """Number and PIN; a refusal does not say whether the number exists."""
        return answer({"clerk": book.sign_in(body.number, body.pin).to_dict()})

    @routes.post("/clerks/{number}/pin", response_model=ClerkAnswer, responses=errors(409))
    def set_clerk_pin(number: Number, body: PinBody) -> JSONResponse:
        """A new PIN (it also ends a lockout)."""
        book.set_pin(number, body.pin, by=body.by)
        return _clerk(kiosk, number)

    @routes.post("/clerks/{number}/unlock", response_model=ClerkAnswer, responses=errors(409))
    def unlock_clerk(number: Number, body: ByBody | None = None) -> JSONResponse:
        """End a lockout now."""
        book.unlock(number, by=body.by if body else None)
        return _clerk(kiosk, number)

    @routes.post("/clerks/{number}/deactivate", response_model=ClerkAnswer, responses=errors(409))
    def deactivate_clerk(number: Number, body: ByBody | None = None) -> JSONResponse:
        """No more sign-ins for this number; it is never reused."""
        book.deactivate(number, by=body.by if body else None)
        return _clerk(kiosk, number)

    @routes.post("/clerks/{number}/sign-out", response_model=ClerkAnswer, responses=errors(409))
    def sign_out(number: Number, body: SignOutBody | None = None) -> JSONResponse:
        """Journal the end of a session."""
        book.sign_out(number, reason=body.reason if body else None)
        return _clerk(kiosk, number)

    return routes


def _clerk(kiosk: Kiosk, number: str) -> JSONResponse:
    clerk = kiosk.clerks.get(number)
    return answer({"clerk": None if clerk is None else clerk.to_dict()})


__all__ = [
    "AddClerkBody",
    "ByBody",
    "Clerk",
    "ClerkAnswer",
    "ClerkList",
    "PinBody",
    "SignInBody",
    "SignOutBody",
    "router",
]
