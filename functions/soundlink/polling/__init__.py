"""Polling: which listeners to read, when, and what a poll does with Spotify's answer.
May import listeners, tokens, spotify and platform."""
