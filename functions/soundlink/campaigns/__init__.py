"""The campaign: its values and rules, its store, playlist references, and the owner's own
Spotify connection that reads its playlist. May import soundlink.platform only."""
