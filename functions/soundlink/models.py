"""PynamoDB models: the key design of every table, in one place.

DataTable (pk, sk; gsi1 = gsi1pk/gsi1sk; gsi2 = gsi2pk/gsi2sk; TTL expires_at)
  item                      pk                      sk                    index keys
  campaign                  CAMPAIGN#{id}           CAMPAIGN              gsi1: OWNER#{owner} / CAMPAIGN#{created}#{id}
  slug claim                SLUG#{slug}             SLUG                  -
  OAuth state               STATE#{state}           STATE                 TTL minutes
  listener                  LISTENER#{account}      LISTENER              gsi1: POLL#{shard} / {next_poll_at}#{account}
  listener-campaign link    LISTENER#{account}      LINK#{campaign}       gsi2: CAMPAIGN#{campaign} / LISTENER#{account}
  play guard                LISTENER#{account}      PLAY#{played_at}      -
  attribution               CAMPAIGN#{campaign}     ATTR#{played_at}#{account}  gsi2: LISTENER#{account} / ATTR#...
  owner Spotify connection  OWNER#{owner}           SPOTIFY               -
  playlist cache            PLAYLIST#{id}           SNAPSHOT#{snapshot}   -
  Spotify back-off marker   SPOTIFY                 BACKOFF               TTL
EventsTable (pk, sk; TTL expires_at): clicks CAMPAIGN#{id} / CLICK#{time}#{click};
  first visit VISIT#{campaign}#{day}#{visitor} / VISIT (conditional put = unique click).
StatsTable (pk, sk): counters CAMPAIGN#{id} / TOTAL, HOUR#{yyyy-mm-ddThh}, TRACK#{id},
  DIM#{dimension}#{value}, MODEL#{model}.
IdempotencyTable: Powertools' own schema (id, expiration).

Only the models in use exist here; later features add theirs with the keys above.
Table names come from Settings at run time (`bind_tables`), never from code.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from soundlink.settings import Settings


class _DataTable(Model):
    class Meta:
        table_name = "DataTable"  # replaced by bind_tables

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class OwnerIndex(GlobalSecondaryIndex["CampaignItem"]):
    """gsi1 as used by campaigns: an owner's campaigns, newest first."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class CampaignItem(_DataTable):
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_owner = OwnerIndex()

    campaign_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    playlist_id = UnicodeAttribute()
    destination_url = UnicodeAttribute()
    attribution_window_days = NumberAttribute()
    attribution_model = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute(null=True)
    ends_at = UTCDateTimeAttribute(null=True)
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    archived_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def key(campaign_id: str) -> tuple[str, str]:
        return f"CAMPAIGN#{campaign_id}", "CAMPAIGN"

    @staticmethod
    def owner_key(owner_id: str) -> str:
        return f"OWNER#{owner_id}"


class SlugClaim(_DataTable):
    """Makes a slug unique: created in the same transaction as its campaign."""

    campaign_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key(slug: str) -> tuple[str, str]:
        return f"SLUG#{slug}", "SLUG"


def bind_tables(settings: Settings) -> None:
    """Point every model at the deployed table names (once per container)."""
    for model, table_name in ((_DataTable, settings.data_table),):
        model.Meta.table_name = table_name
        model.Meta.region = settings.region
        for cls in (model, *_subclasses(model)):
            cls._connection = None


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found
