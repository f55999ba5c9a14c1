"""The owner's account: GET and PATCH /owner/settings, and DELETE /owner (everything it owns)."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from soundlink.owners import preferences
from soundlink.owners.schemas import AccountDeletion, DeletionInProgress, OwnerSettings, SettingsUpdate
from soundlink.platform.errors import BadRequest
from soundlink.platform.http import owner_id, responses
from soundlink.platform.observability import logger
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.tracking.oauth_state import utcnow

router = APIGatewayHttpRouter()
# What a call of DELETE /owner leaves unused of the function's time (10 s, template Globals):
# the step under way (one page of keys, or the Cognito call) finishes within it.
DELETION_RESERVE_SECONDS = 3.0


@lru_cache(maxsize=1)
def _bound() -> None:
    bind_tables(get_settings())


def _settings_out(owner: str) -> OwnerSettings:
    item = preferences.get(owner)
    if item is None:
        return OwnerSettings(time_zone=None, currency=None)
    return OwnerSettings(time_zone=item.time_zone, currency=item.currency, updated_at=item.updated_at)


@router.get(
    "/owner/settings",
    summary="Your settings (time zone, currency)",
    responses=responses(200, "Your settings; null values are not set", OwnerSettings),
)
def get_owner_settings() -> OwnerSettings:
    _bound()
    return _settings_out(owner_id(router))


@router.patch(
    "/owner/settings",
    summary="Change your settings (only the fields sent; null clears one)",
    responses=responses(200, "Your settings as stored", OwnerSettings),
)
def patch_owner_settings(changes: SettingsUpdate) -> OwnerSettings:
    _bound()
    owner = owner_id(router)
    fields = changes.model_dump(include=changes.model_fields_set)
    if not fields:
        raise BadRequest("send at least one of time_zone, currency (null clears it)")
    preferences.save(owner, changes=fields, now=utcnow())
    logger.info("owner settings changed", extra={"fields": sorted(fields)})
    return _settings_out(owner)


@router.delete(
    "/owner",
    summary="Delete your account and everything it owns (type your email to confirm)",
    responses={
        **responses(204, "Deleted: nothing of the account is left (a second call answers the same)"),
        **responses(202, "Started; call again with the same body to finish", DeletionInProgress),
    },
)
def delete_owner(confirmation: AccountDeletion) -> Response[dict | str]:
    _bound()
    owner = owner_id(router)
    claims = router.current_event.request_context.authorizer.jwt_claim or {}
    email = str(claims.get("email") or "")
    if not email:
        raise BadRequest("your sign-in carries no email address: sign out, sign in again, then delete the account")
    if confirmation.confirm_email.strip().casefold() != email.strip().casefold():
        raise BadRequest(
            "confirm_email does not match the email of the signed-in account: type it exactly "
            "(the account you are signed in with is deleted, nothing else)"
        )
    from soundlink.owners.deletion import deletion_for  # only this route deletes: others do not load it

    remaining_ms = router.lambda_context.get_remaining_time_in_millis
    report = deletion_for(
        get_settings(), time_left=lambda: remaining_ms() / 1000, reserve_seconds=DELETION_RESERVE_SECONDS
    ).run(owner)
    logger.info(
        "owner account deletion",
        extra={"complete": report.complete, "campaigns": report.campaigns, "items": report.items},
    )
    if not report.complete:
        body = DeletionInProgress(
            status="in_progress",
            message="Your account is being deleted; a large one takes several calls: call again to go on.",
            campaigns_deleted=report.campaigns,
        )
        return Response(202, content_types.APPLICATION_JSON, body.model_dump(mode="json"))
    return Response(204, content_types.TEXT_PLAIN, "", headers={"Cache-Control": "no-store"})
