"""Summaries: board pictures, aggregation, reports and exports."""
