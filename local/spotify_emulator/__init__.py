"""Spotify emulator: a local stand-in for accounts.spotify.com and api.spotify.com.

    from local.spotify_emulator import start_emulator
    emu = start_emulator(port=0)          # emu.url, emu.port, emu.stop()

or standalone: `python -m local.spotify_emulator --port 4000`.
"""

from .server import EmulatorHandle, start_emulator
from .state import EmulatorState

__all__ = ["EmulatorHandle", "EmulatorState", "start_emulator"]
