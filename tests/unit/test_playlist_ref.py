import pytest

from soundlink.campaigns.playlist_ref import ACCEPTED_FORMS, parse_playlist
from soundlink.platform.errors import BadRequest

PID = "37i9dQZF1DXcBWIGoYBM5M"


@pytest.mark.parametrize(
    "text",
    [
        f"https://open.spotify.com/playlist/{PID}",
        f"https://open.spotify.com/playlist/{PID}?si=a1b2c3d4e5f6",
        f"https://open.spotify.com/playlist/{PID}/",
        f"https://open.spotify.com/intl-de/playlist/{PID}?si=x",
        f"https://open.spotify.com/intl-pt-br/playlist/{PID}",
        f"https://open.spotify.com/user/spotify/playlist/{PID}",
        f"open.spotify.com/playlist/{PID}",
        f"  spotify:playlist:{PID}  ",
        f"spotify:user:some.user:playlist:{PID}",
        PID,
    ],
)
def test_every_accepted_form_gives_the_canonical_playlist(text):
    ref = parse_playlist(text)
    assert ref.id == PID
    assert ref.uri == f"spotify:playlist:{PID}"
    assert ref.url == f"https://open.spotify.com/playlist/{PID}"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        PID[:-1],
        PID + "x",
        f"https://evil.example/playlist/{PID}",
        f"https://open.spotify.com.evil.example/playlist/{PID}",
        f"https://evilspotify.com/playlist/{PID}",
        f"https://evilopen.spotify.com/playlist/{PID}",
        f"https://accounts.spotify.com/playlist/{PID}",
        f"https://spotify.com/playlist/{PID}",
        f"https://open.spotify.com@evil.example/playlist/{PID}",
        f"https://evil.example/open.spotify.com/playlist/{PID}",
        f"https://evil.example/?u=https://open.spotify.com/playlist/{PID}",
        f"evilspotify.com/playlist/{PID}",
        f"spotify:playlist:{PID}:extra",
        f"spotify:user:a\nb:playlist:{PID}",
        f"ftp://open.spotify.com/playlist/{PID}",
        f"https://open.spotify.com/playlist/{PID}/extra",
        "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5!",
    ],
)
def test_anything_else_is_refused_naming_the_accepted_forms(text):
    with pytest.raises(BadRequest) as caught:
        parse_playlist(text)
    message = caught.value.message
    assert caught.value.status == 400
    for form in ACCEPTED_FORMS:
        assert form in message


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (f"https://open.spotify.com/album/{PID}", "That is an album link;"),
        (f"https://open.spotify.com/intl-de/album/{PID}?si=x", "That is an album link;"),
        (f"https://open.spotify.com/track/{PID}", "That is a track link;"),
        (f"open.spotify.com/artist/{PID}", "That is an artist link;"),
        (f"https://open.spotify.com/show/{PID}", "That is a podcast link;"),
        ("https://open.spotify.com/user/someone", "That is a Spotify profile link;"),
        (f"spotify:album:{PID}", "That is an album URI;"),
        (f"spotify:track:{PID}", "That is a track URI;"),
    ],
)
def test_an_album_or_track_link_gets_a_sentence_naming_what_was_pasted(text, sentence):
    with pytest.raises(BadRequest) as caught:
        parse_playlist(text)
    message = caught.value.message
    assert caught.value.status == 400
    assert message.startswith(sentence)
    assert "Soundlink measures a playlist: paste a link that contains /playlist/" in message
    assert "{id}" not in message  # not the developer list of formats


@pytest.mark.parametrize(
    "text",
    [
        f"https://evil.example/album/{PID}",
        f"https://open.spotify.com.evil.example/track/{PID}",
        f"spotify:albums:{PID}",
    ],
)
def test_only_spotify_itself_is_named_as_an_album_or_track(text):
    with pytest.raises(BadRequest) as caught:
        parse_playlist(text)
    assert not caught.value.message.startswith("That is")
