"""Soundlink's domain and its adapters, shared by every Lambda handler.

One package per concept; layers only point down (pyproject's import-linter contract):
analytics | consent | polling > attribution | tracking > campaigns | listeners | tokens > spotify > platform.
"""
