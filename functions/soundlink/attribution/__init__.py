"""Attribution: which campaigns a listener's play is credited to, and how much.

The rules themselves live in soundlink/attribution/rules.py (pure, stdlib only).
"""
