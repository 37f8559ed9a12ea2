"""Orders: cart, checkout into one order per seller, the order lifecycle, shipments, disputes."""
