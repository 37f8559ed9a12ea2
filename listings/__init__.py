"""The catalogue: what sellers publish, admins moderate, and buyers search."""
