from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from marketplace.core.models import BaseModel
from marketplace.trade.currencies import CURRENCY_CHOICES


class HSLevel(models.IntegerChoices):
    CHAPTER = 2, "Chapter (2 digits)"
    HEADING = 4, "Heading (4 digits)"
    SUBHEADING = 6, "Subheading (6 digits)"


class HSCode(BaseModel):
    """One line of the HS 2022 nomenclature: a chapter, heading or subheading."""

    code = models.CharField(max_length=6, unique=True)
    description = models.TextField()
    level = models.PositiveSmallIntegerField(choices=HSLevel.choices)
    # Keyed by code, so an import can upsert children without looking up parent ids.
    parent = models.ForeignKey(
        "self",
        to_field="code",
        db_column="parent_code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    section = models.CharField(max_length=5, help_text="HS section, a roman numeral, I to XXI.")

    class Meta:
        ordering = ["code"]
        verbose_name = "HS code"
        verbose_name_plural = "HS codes"
        indexes = [
            # icontains compiles to UPPER(description) LIKE UPPER(%s): index that expression.
            GinIndex(
                OpClass(Upper("description"), name="gin_trgm_ops"),
                name="trade_hscode_desc_trgm",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="trade_hscode_code_matches_level",
                condition=Q(level=2, code__regex=r"^[0-9]{2}$")
                | Q(level=4, code__regex=r"^[0-9]{4}$")
                | Q(level=6, code__regex=r"^[0-9]{6}$"),
            ),
            models.CheckConstraint(
                name="trade_hscode_chapter_has_no_parent",
                condition=Q(level=2, parent__isnull=True)
                | Q(level__in=[4, 6], parent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class FxRate(BaseModel):
    """How many units of ``quote`` one unit of ``base`` buys on ``as_of``."""

    base = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    quote = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    source = models.CharField(max_length=200, blank=True)
    as_of = models.DateField()

    # Set only on unsaved, derived rates, so conversion goes through the stored rates
    # instead of through a derived rate rounded to 8 decimals: ``inverse_of`` for the
    # inverse of a stored quote→base rate, ``legs`` for a cross rate (base→USD→quote).
    inverse_of: "FxRate | None" = None
    legs: tuple["FxRate", ...] = ()

    class Meta:
        ordering = ["base", "quote", "-as_of"]
        verbose_name = "FX rate"
        verbose_name_plural = "FX rates"
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "as_of"], name="trade_fxrate_unique_pair_day"
            ),
            models.CheckConstraint(name="trade_fxrate_rate_positive", condition=Q(rate__gt=0)),
            models.CheckConstraint(
                name="trade_fxrate_distinct_currencies", condition=~Q(base=F("quote"))
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.as_of})"

    def apply(self, amount: Decimal) -> Decimal:
        """``amount`` of ``base`` in ``quote``, unrounded."""
        if self.inverse_of is not None:
            return amount / self.inverse_of.rate
        if self.legs:
            for leg in self.legs:
                amount = leg.apply(amount)
            return amount
        return amount * self.rate
