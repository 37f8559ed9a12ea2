from django.db import models


class BaseModel(models.Model):
    """Every domain row records when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OutboxEvent(models.Model):
    """A fact written in the same transaction as the business change that caused it.

    The relay publishes pending rows to Celery; handlers deduplicate by the event's id, so a
    row published twice (relay crash after send) is applied once. Work that moves money is
    never only a message: it starts here.
    """

    topic = models.CharField(max_length=64)
    key = models.CharField(max_length=128, help_text="Business key, unique per topic.")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "key"], name="outbox_topic_key_unique")
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending_idx",
                condition=models.Q(published_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic}:{self.key}"
