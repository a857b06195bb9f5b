"""Live updates: the websocket endpoint, its messages, and the hub that fans them out."""
