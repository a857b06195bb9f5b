"""The participant's side: joining a table by QR code, taking a seat and a role."""
