"""What every concept stands on: settings, tables (the key design), counters, transactions,
HTTP and pages, errors, health and observability. Imports no other soundlink package."""
