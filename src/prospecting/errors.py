"""Typed domain errors. Services raise these; each edge (HTTP, MCP, CLI) maps them once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    status: int = 400
    code: str = "domain_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """A value was rejected; names the field and the reason."""

    status = 422
    code = "invalid_input"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(DomainError):
    """Missing, or belonging to another tenant: the two must be indistinguishable."""

    status = 404
    code = "not_found"

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind} not found")
        self.kind = kind


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"

    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(detail)


class PermissionDenied(DomainError):
    """The acting Person lacks the role the action needs."""

    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The request contradicts stored state (duplicate, replay with a different payload)."""

    status = 409
    code = "conflict"


class ConsentRequired(DomainError):
    status = 403
    code = "consent_required"


class SubjectOptedOut(DomainError):
    status = 410
    code = "subject_opted_out"


class BudgetExhausted(DomainError):
    status = 429
    code = "budget_exhausted"


class GraphUnavailable(DomainError):
    """The graph store cannot be reached (the contract's network partition)."""

    status = 503
    code = "graph_unavailable"


class ConfigError(DomainError):
    """Configuration is missing or malformed; the process must not start."""

    code = "config_error"
