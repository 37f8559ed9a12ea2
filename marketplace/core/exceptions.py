"""Errors that services raise and the API turns into HTTP answers."""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A business rule refused the request (the API answers 400)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class InvalidTransition(Exception):
    """The object's state does not allow this change (the API answers 409)."""

    def __init__(self, *, model: str, current: str, target: str):
        self.model = model
        self.current = current
        self.target = target
        super().__init__(f"A {model} that is {current} cannot become {target}.")


class NotFound(Exception):
    """The object does not exist or is not visible to the acting company (404)."""


class Conflict(Exception):
    """The request clashes with the current state of another object (the API answers 409),
    e.g. approving the listing of a seller that is not verified."""

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code


class Forbidden(PermissionDenied):
    """The actor may not do this yet, for a reason they can act on (the API answers 403 with
    the message and code; a browser view that does not handle it shows the 403 page)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
