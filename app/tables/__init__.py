"""A table's live state in the database: its board, round clock, notes and event log."""
