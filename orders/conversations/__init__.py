"""Conversations between a buyer company and a seller company, about a listing, an RFQ, a
quote, an order or a dispute: messages, attachments, read state, reports and moderation."""
