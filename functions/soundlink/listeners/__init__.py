"""Listeners: consented Spotify accounts, their campaign links and link states, and the
deletion of everything naming one. May import soundlink.platform only."""
