"""Quotes: a seller's priced offer, in versions, that the buyer accepts into an order."""
