"""What owners read: analytics from the pre-aggregated counters, and the CSV export.
May import attribution (its rules' names) and platform."""
