"""Attribution: which campaigns a listener's play is credited to, and how much (rules.py, pure);
the playlist cache and the exactly-once writer. May import campaigns, listeners, tokens, spotify, platform."""
