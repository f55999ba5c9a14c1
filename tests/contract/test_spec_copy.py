"""The repository's copy of the Spotify definition is the team's shared one."""

from pathlib import Path

from .conftest import SPEC_PATH

SHARED = Path(__file__).resolve().parents[2].parent / "shared/spotify/fixed-spotify-open-api.yml"


def test_vendored_spec_matches_the_shared_copy():
    assert SPEC_PATH.exists()
    if SHARED.exists():  # shared/ sits beside the clone on the team's machines and in CI
        assert SPEC_PATH.read_bytes() == SHARED.read_bytes(), "spec/spotify is stale: copy shared/spotify over it"
