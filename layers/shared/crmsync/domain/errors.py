"""Typed errors shared by services and adapters; the API maps each class to one status once."""

from __future__ import annotations


class CrmsyncError(Exception):
    """Base of every error this package raises on purpose."""


class NotFoundError(CrmsyncError):
    """The thing asked for does not exist (or belongs to someone else)."""


class ConflictError(CrmsyncError):
    """A conditional change lost: wrong state, stale version, or already done.

    `current` is what the store holds now (a state, a version, a record), when known.
    """

    def __init__(self, message: str, *, current: object = None):
        super().__init__(message)
        self.current = current


class AlreadyExistsError(ConflictError):
    """A create or claim found the key already taken; `current` is the holder, when known."""


class InvalidCursorError(CrmsyncError, ValueError):
    """A pagination cursor that this service did not issue for this listing."""


class UnavailableError(CrmsyncError):
    """A dependency did not complete the work after retries; safe to retry later (after `retry_after`
    seconds, when known)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidFieldsError(CrmsyncError):
    """Input that parsed but breaks a rule; `fields` lists (field, problem) pairs, all of them."""

    def __init__(self, fields: list[tuple[str, str]]):
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields))
        self.fields = fields


class PrerequisiteFailed(CrmsyncError):
    """A vendor prerequisite refuses the action (e.g. CRM edition, base currency); `rule` names it."""

    def __init__(self, rule: str, message: str, **details: object):
        super().__init__(message)
        self.rule = rule
        self.details = details


class PermissionDenied(CrmsyncError):
    """A CRM user acted outside their grant (T2); `permission` names what was missing."""

    def __init__(self, permission: str, message: str):
        super().__init__(message)
        self.permission = permission


class BadChannelToken(CrmsyncError):
    """A CRM notification callback did not prove it comes from our channel."""
