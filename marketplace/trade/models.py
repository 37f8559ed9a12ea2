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


# Landed cost: duty and import tax rates, and each destination's customs rules.
#
# A rate's destination is a country (ISO 3166-1 alpha-2) or a customs union whose members
# share one tariff: "EU" holds the Common Customs Tariff and the union's customs rules, while
# each member state keeps its own VAT row. Lookups try the country first, then its union.

EU_CUSTOMS_UNION = "EU"
CUSTOMS_UNIONS: dict[str, str] = {EU_CUSTOMS_UNION: "European Union (customs union)"}


def customs_destination_choices() -> list[tuple[str, str]]:
    """Customs unions first, then every country django-countries knows."""
    from django_countries import countries

    return [*CUSTOMS_UNIONS.items(), *((c.code, str(c.name)) for c in countries)]


def validate_customs_destination(value: str) -> None:
    from django.core.exceptions import ValidationError
    from django_countries import countries

    if value not in CUSTOMS_UNIONS and value not in countries:
        raise ValidationError(
            "%(value)s is neither a country code nor a customs union.", params={"value": value}
        )


class CustomsValueBasis(models.TextChoices):
    # The value duty is charged on: the EU and most countries take the goods with freight and
    # insurance to the border (CIF); the US takes the transaction value at export (FOB).
    CIF = "CIF", "CIF: goods + freight + insurance to the border"
    FOB = "FOB", "FOB: goods at the port of export (transaction value)"


_DESTINATION_CODE = Q(destination__regex=r"^[A-Z]{2}$")


class DutyRate(BaseModel):
    """An ad valorem duty for goods whose HS code starts with ``hs_prefix``, from ``valid_from``.

    The longest matching prefix wins (6 digits over 4 over 2); among rows with the same prefix,
    the latest ``valid_from`` not after the day asked about.
    """

    destination = models.CharField(
        max_length=2,
        choices=customs_destination_choices,
        validators=[validate_customs_destination],
        help_text='A country, or "EU" for the Common Customs Tariff of every member state.',
    )
    hs_prefix = models.CharField(
        "HS prefix", max_length=6, help_text="2, 4 or 6 digits: a chapter, heading or subheading."
    )
    rate = models.DecimalField(
        "rate (%)", max_digits=7, decimal_places=4, help_text="Ad valorem, in percent."
    )
    source = models.CharField(max_length=300, help_text="Where the rate was taken from.")
    valid_from = models.DateField()
    is_sample = models.BooleanField(
        "sample", default=True, help_text="A sample value, not yet checked against the tariff."
    )

    class Meta:
        ordering = ["destination", "hs_prefix", "-valid_from"]
        verbose_name = "duty rate"
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "hs_prefix", "valid_from"],
                name="trade_dutyrate_unique_prefix_day",
            ),
            models.CheckConstraint(
                name="trade_dutyrate_hs_prefix_2_4_or_6_digits",
                condition=Q(hs_prefix__regex=r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$"),
            ),
            models.CheckConstraint(
                name="trade_dutyrate_rate_not_negative", condition=Q(rate__gte=0)
            ),
            models.CheckConstraint(
                name="trade_dutyrate_destination_code", condition=_DESTINATION_CODE
            ),
            models.CheckConstraint(name="trade_dutyrate_source_given", condition=~Q(source="")),
        ]

    def __str__(self) -> str:
        return f"{self.destination} {self.hs_prefix}: {self.rate}% from {self.valid_from}"


class ImportTax(BaseModel):
    """The tax charged at import (VAT, GST, consumption tax), from ``valid_from``.

    Charged on the customs value, plus the duty when ``duty_in_base``. A destination with no
    import tax (the US has no federal one) carries a row at 0 % so that "none" is a known fact.
    """

    destination = models.CharField(
        max_length=2,
        choices=customs_destination_choices,
        validators=[validate_customs_destination],
        help_text="A country (import VAT is national, also inside the EU).",
    )
    name = models.CharField(max_length=100, help_text='As the destination calls it: "VAT", "GST".')
    rate = models.DecimalField("rate (%)", max_digits=7, decimal_places=4)
    duty_in_base = models.BooleanField(
        "duty in base", default=True, help_text="Charged on the customs value plus the duty."
    )
    source = models.CharField(max_length=300)
    valid_from = models.DateField()
    is_sample = models.BooleanField("sample", default=True)

    class Meta:
        ordering = ["destination", "-valid_from"]
        verbose_name = "import tax"
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "valid_from"], name="trade_importtax_unique_day"
            ),
            models.CheckConstraint(
                name="trade_importtax_rate_not_negative", condition=Q(rate__gte=0)
            ),
            models.CheckConstraint(
                name="trade_importtax_destination_code", condition=_DESTINATION_CODE
            ),
            models.CheckConstraint(name="trade_importtax_source_given", condition=~Q(source="")),
        ]

    def __str__(self) -> str:
        return f"{self.destination} {self.name} {self.rate}% from {self.valid_from}"


class CustomsRegime(BaseModel):
    """A destination's customs rules from ``valid_from``: the value basis and de minimis.

    Goods worth no more than a de minimis value pay no duty (``duty_de_minimis``) or no import
    tax (``tax_de_minimis``); 0 means there is no such relief.
    """

    destination = models.CharField(
        max_length=2,
        choices=customs_destination_choices,
        validators=[validate_customs_destination],
        help_text='A country, or "EU" for the rules every member state shares.',
    )
    customs_value_basis = models.CharField(
        max_length=3, choices=CustomsValueBasis.choices, default=CustomsValueBasis.CIF
    )
    duty_de_minimis = models.DecimalField(
        max_digits=14, decimal_places=4, default=Decimal(0), help_text="0: no relief."
    )
    tax_de_minimis = models.DecimalField(
        max_digits=14, decimal_places=4, default=Decimal(0), help_text="0: no relief."
    )
    de_minimis_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    source = models.CharField(max_length=300)
    valid_from = models.DateField()
    is_sample = models.BooleanField("sample", default=True)

    class Meta:
        ordering = ["destination", "-valid_from"]
        verbose_name = "customs regime"
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "valid_from"], name="trade_customsregime_unique_day"
            ),
            models.CheckConstraint(
                name="trade_customsregime_de_minimis_not_negative",
                condition=Q(duty_de_minimis__gte=0, tax_de_minimis__gte=0),
            ),
            models.CheckConstraint(
                name="trade_customsregime_basis_known",
                condition=Q(customs_value_basis__in=CustomsValueBasis.values),
            ),
            models.CheckConstraint(
                name="trade_customsregime_destination_code", condition=_DESTINATION_CODE
            ),
            models.CheckConstraint(
                name="trade_customsregime_source_given", condition=~Q(source="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destination} {self.customs_value_basis} from {self.valid_from}"
