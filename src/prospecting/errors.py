"""Typed domain errors. Services raise these; each edge (HTTP, MCP, CLI) maps them once.

Every error may carry a `hint`: the next step, in words a person or a copilot can act on
(edge-neutral; an edge may put a more specific one in front of it). A class gives a default
hint; a raise site may pass its own with `hint=...`. Existing callers need not change.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    status: int = 400
    code: str = "domain_error"
    default_hint: str | None = None

    def __init__(self, detail: str, *, hint: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint if hint is not None else self.default_hint


class InvalidInput(DomainError):
    """A value was rejected; names the field and the reason."""

    status = 422
    code = "invalid_input"
    default_hint = "correct the named field and send the request again"

    def __init__(self, field: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"{field}: {reason}", hint=hint)
        self.field = field
        self.reason = reason


class NotFound(DomainError):
    """Missing, or belonging to another tenant: the two must be indistinguishable."""

    status = 404
    code = "not_found"
    default_hint = "check the id: take it from a listing of your own records"

    def __init__(self, kind: str, *, hint: str | None = None) -> None:
        super().__init__(f"{kind} not found", hint=hint)
        self.kind = kind


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_hint = (
        "send a valid API token as `Authorization: Bearer <token>` "
        "(`prospecting tokens create PERSON_ID` issues one)"
    )

    def __init__(
        self, detail: str = "a valid bearer token is required", *, hint: str | None = None
    ) -> None:
        super().__init__(detail, hint=hint)


class PermissionDenied(DomainError):
    """The acting Person lacks the role the action needs."""

    status = 403
    code = "permission_denied"
    default_hint = "this needs a role your token's Person does not hold; do not retry"


class Conflict(DomainError):
    """The request contradicts stored state (duplicate, replay with a different payload)."""

    status = 409
    code = "conflict"
    default_hint = "read the current state again, then decide whether to retry"


class ConsentRequired(DomainError):
    status = 403
    code = "consent_required"
    default_hint = "the Person's graph consent does not allow this; change it with graph_consent"


class SubjectOptedOut(DomainError):
    status = 410
    code = "subject_opted_out"
    default_hint = "this person left the network; work from your own history, do not retry"


class BudgetExhausted(DomainError):
    status = 429
    code = "budget_exhausted"
    default_hint = "this person's privacy budget is spent; network answers stay withheld"


class GraphUnavailable(DomainError):
    """The graph store cannot be reached (the contract's network partition)."""

    status = 503
    code = "graph_unavailable"
    default_hint = (
        "the network is unreachable: retry later; prospects, drafts and outcomes still work"
    )


class ConfigError(DomainError):
    """Configuration is missing or malformed; the process must not start."""

    code = "config_error"
    default_hint = "fix the named PROSPECTING_* variable and start again"


class NotVetted(PermissionDenied):
    """Only vetted providers send or receive coop intros and hand-offs."""

    code = "not_vetted"
    default_hint = (
        "get vetted first: two endorsements from vetted peers or your Org admin's "
        "verification; your vetting status (GET /coop/vetting) shows where you stand"
    )


class FeatureUnavailable(DomainError):
    """A coop feature the network state does not support yet (warm intros need a dense
    network in the category and region; hand-offs need peers with capacity)."""

    status = 409
    code = "feature_unavailable"
    default_hint = (
        "the network state (GET /coop/network) explains which state applies; do not retry now"
    )

    def __init__(self, feature: str, state: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"{feature} unavailable ({state}): {reason}", hint=hint)
        self.feature = feature
        self.state = state
        self.reason = reason


class ConsentPending(DomainError):
    """The prospect has not (or no longer) agreed to this share; nothing was shared."""

    status = 409
    code = "prospect_consent_required"
    default_hint = "wait for the prospect's answer to the consent request; nothing was shared"
