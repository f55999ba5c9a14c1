"""Spotify's accounts service and Web API as Soundlink uses them (shared/spotify/NOTES.md).

May import soundlink.platform only. config, errors, models and oauth load no HTTP client.
"""
