"""The facilitator's side: creating workshops, table QR codes and the workshop page."""
