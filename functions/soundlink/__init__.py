"""Soundlink's domain and its adapters, shared by every Lambda handler."""
