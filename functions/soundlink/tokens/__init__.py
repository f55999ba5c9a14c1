"""Spotify tokens at rest: KMS envelope encryption (cipher) and sealed token sets (sealed).
May import soundlink.spotify (its models) and soundlink.platform."""
