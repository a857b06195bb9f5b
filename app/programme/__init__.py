"""The programme view: several workshops' summaries as one, from their share or facilitator links."""
