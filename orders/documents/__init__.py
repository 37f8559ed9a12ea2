"""Trade documents: numbering, PDF rendering, verification (ARCHITECTURE.md, Trade documents)."""
