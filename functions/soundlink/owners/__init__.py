"""Owners: an owner's settings, and deleting an owner's account with everything it owns."""
