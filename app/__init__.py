"""Kaartspel: the card-sorting workshop game, served from the facilitator's laptop."""
