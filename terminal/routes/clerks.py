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

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from terminal.clerks import MAX_NAME_LENGTH
from terminal.kiosk import Kiosk

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


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter()
    book = kiosk.clerks

    @routes.get("/clerks")
    def list_clerks() -> dict[str, Any]:
        return {"clerks": [clerk.to_dict() for clerk in book.list()]}

    @routes.post("/clerks")
    def add_clerk(body: AddClerkBody) -> dict[str, Any]:
        clerk = book.add(body.number, body.name, body.pin, body.role, by=body.by)
        return {"clerk": clerk.to_dict()}

    @routes.post("/clerks/sign-in")
    def sign_in(body: SignInBody) -> dict[str, Any]:
        return {"clerk": book.sign_in(body.number, body.pin).to_dict()}

    @routes.post("/clerks/{number}/pin")
    def set_pin(number: Number, body: PinBody) -> dict[str, Any]:
        book.set_pin(number, body.pin, by=body.by)
        return _clerk(kiosk, number)

    @routes.post("/clerks/{number}/unlock")
    def unlock(number: Number, body: ByBody | None = None) -> dict[str, Any]:
        book.unlock(number, by=body.by if body else None)
        return _clerk(kiosk, number)

    @routes.post("/clerks/{number}/deactivate")
    def deactivate(number: Number, body: ByBody | None = None) -> dict[str, Any]:
        book.deactivate(number, by=body.by if body else None)
        return _clerk(kiosk, number)

    @routes.post("/clerks/{number}/sign-out")
    def sign_out(number: Number, body: SignOutBody | None = None) -> dict[str, Any]:
        book.sign_out(number, reason=body.reason if body else None)
        return _clerk(kiosk, number)

    return routes


def _clerk(kiosk: Kiosk, number: str) -> dict[str, Any]:
    clerk = kiosk.clerks.get(number)
    return {"clerk": None if clerk is None else clerk.to_dict()}


__all__ = ["AddClerkBody", "ByBody", "PinBody", "SignInBody", "SignOutBody", "router"]
