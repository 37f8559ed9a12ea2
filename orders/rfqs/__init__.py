"""Requests for quotation: what a buyer wants, who may see it, and its lifecycle."""
