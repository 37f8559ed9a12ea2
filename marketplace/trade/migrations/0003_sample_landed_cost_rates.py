"""Sample duty rates, import taxes and customs regimes for the demo destinations.

Every row is a SAMPLE (is_sample=True): plausible most-favoured-nation rates read from the
public tariffs named in its source, rounded to one rate per HS heading, for the headings of
the demo catalogue. They leave out specific duties, trade-remedy and additional duties,
surcharges and preferences. The admin marks them "Sample rate — check before use" until an
operator has checked each one against the tariff in force and cleared the mark.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

# destination: (source, valid_from, {HS prefix: ad valorem %})
DUTY_RATES = {
    "EU": (
        "EU Common Customs Tariff (TARIC), third-country duty; sample value",
        date(2024, 1, 1),
        {
            "0306": "12",
            "0901": "7.5",
            "090111": "0",
            "0902": "0",
            "090210": "3.2",
            "3304": "0",
            "3926": "6.5",
            "4202": "3.7",
            "61": "12",
            "6109": "12",
            "6403": "8",
            "6910": "7",
            "6911": "12",
            "7318": "3.7",
            "8471": "0",
            "8517": "0",
            "8539": "2.7",
            "8708": "3",
            "9403": "0",
            "9506": "2.7",
        },
    ),
    "US": (
        "HTSUS general (column 1) rate; sample value; excludes Section 301/232 and "
        "2025 reciprocal (IEEPA) additional duties",
        date(2024, 1, 1),
        {
            "0306": "0",
            "0901": "0",
            "0902": "0",
            "090210": "6.4",
            "3304": "0",
            "3926": "5.3",
            "4202": "17.6",
            "420212": "20",
            "6109": "16.5",
            "610990": "32",
            "6403": "8.5",
            "6910": "5.8",
            "6911": "8",
            "7318": "6.2",
            "8471": "0",
            "8517": "0",
            "8539": "2",
            "8708": "2.5",
            "9403": "0",
            "9506": "4",
        },
    ),
    "GB": (
        "UK Global Tariff, third-country duty; sample value",
        date(2024, 1, 1),
        {
            "0306": "12",
            "0901": "0",
            "090121": "6",
            "090122": "6",
            "0902": "0",
            "3304": "0",
            "3926": "6",
            "4202": "2",
            "6109": "12",
            "6403": "8",
            "6910": "6",
            "6911": "12",
            "7318": "2",
            "8471": "0",
            "8517": "0",
            "8539": "2",
            "8708": "2",
            "9403": "0",
            "9506": "2",
        },
    ),
    "KE": (
        "EAC Common External Tariff 2022 (bands 0/10/25/35 %); sample value",
        date(2022, 7, 1),
        {
            "0306": "25",
            "0901": "35",
            "0902": "35",
            "3304": "25",
            "3926": "25",
            "4202": "35",
            "6109": "35",
            "6403": "35",
            "6910": "25",
            "6911": "25",
            "7318": "10",
            "8471": "0",
            "8517": "0",
            "8539": "25",
            "8708": "10",
            "9403": "35",
            "9506": "25",
        },
    ),
    "JP": (
        "Customs Tariff Schedules of Japan, general/WTO rate; sample value",
        date(2024, 1, 1),
        {
            "0306": "1",
            "0901": "12",
            "090111": "0",
            "0902": "3",
            "090210": "17",
            "3304": "0",
            "3926": "3.9",
            "4202": "8",
            "6109": "7.4",
            "6403": "30",
            "6910": "0",
            "6911": "0",
            "7318": "0",
            "8471": "0",
            "8517": "0",
            "8539": "0",
            "8708": "0",
            "9403": "0",
            "9506": "0",
        },
    ),
    "IN": (
        "Indian Customs Tariff, Basic Customs Duty; sample value; excludes the Social "
        "Welfare Surcharge (10 % of BCD) and cesses",
        date(2024, 1, 1),
        {
            "0306": "30",
            "0901": "100",
            "0902": "100",
            "3304": "20",
            "3926": "25",
            "4202": "20",
            "6109": "20",
            "6403": "35",
            "6910": "10",
            "6911": "20",
            "7318": "10",
            "8471": "0",
            "8517": "20",
            "8539": "20",
            "8708": "15",
            "9403": "25",
            "9506": "20",
        },
    ),
    "BR": (
        "Mercosur Common External Tariff (TEC), Imposto de Importação; sample value",
        date(2024, 1, 1),
        {
            "0306": "10",
            "0901": "10",
            "0902": "10",
            "3304": "18",
            "3926": "18",
            "4202": "20",
            "6109": "35",
            "6403": "35",
            "6910": "18",
            "6911": "18",
            "7318": "16",
            "8471": "12",
            "8517": "16",
            "8539": "16",
            "8708": "18",
            "9403": "18",
            "9506": "20",
        },
    ),
    "AE": (
        "GCC Common Customs Tariff (5 % on most goods, basic foodstuffs exempt); sample value",
        date(2024, 1, 1),
        {
            "03": "0",
            "09": "5",
            "0901": "0",
            "0902": "0",
            "33": "5",
            "39": "5",
            "42": "5",
            "61": "5",
            "64": "5",
            "69": "5",
            "73": "5",
            "84": "5",
            "85": "5",
            "87": "5",
            "94": "5",
            "95": "5",
        },
    ),
}

EU_VAT_SOURCE = "Standard VAT rate (European Commission, VAT rates in the EU); sample value"
# (destination, name, %, duty in base, source, valid_from)
IMPORT_TAXES = [
    *(
        (country, "VAT", rate, True, EU_VAT_SOURCE, date(2021, 1, 1))
        for country, rate in {
            "AT": "20",
            "BE": "21",
            "BG": "20",
            "HR": "25",
            "CY": "19",
            "CZ": "21",
            "DK": "25",
            "EE": "20",
            "FI": "24",
            "FR": "20",
            "DE": "19",
            "GR": "24",
            "HU": "27",
            "IE": "23",
            "IT": "22",
            "LV": "21",
            "LT": "21",
            "LU": "17",
            "MT": "18",
            "NL": "21",
            "PL": "23",
            "PT": "23",
            "RO": "19",
            "SK": "20",
            "SI": "22",
            "ES": "21",
            "SE": "25",
        }.items()
    ),
    ("LU", "VAT", "16", True, EU_VAT_SOURCE + " (temporary cut for 2023)", date(2023, 1, 1)),
    ("LU", "VAT", "17", True, EU_VAT_SOURCE, date(2024, 1, 1)),
    ("EE", "VAT", "22", True, EU_VAT_SOURCE, date(2024, 1, 1)),
    ("EE", "VAT", "24", True, EU_VAT_SOURCE, date(2025, 7, 1)),
    ("FI", "VAT", "25.5", True, EU_VAT_SOURCE, date(2024, 9, 1)),
    ("SK", "VAT", "23", True, EU_VAT_SOURCE, date(2025, 1, 1)),
    ("RO", "VAT", "21", True, EU_VAT_SOURCE, date(2025, 8, 1)),
    (
        "US",
        "None (no federal import VAT or sales tax)",
        "0",
        False,
        "The US levies no federal tax on imports besides duty; state sales/use taxes not "
        "modelled; sample",
        date(2016, 1, 1),
    ),
    ("GB", "VAT", "20", True, "HMRC import VAT, standard rate; sample value", date(2021, 1, 1)),
    (
        "KE",
        "VAT",
        "16",
        True,
        "Kenya VAT Act 2013, standard rate; sample value; the Import Declaration Fee (3.5 %) "
        "and Railway Development Levy (2.5 %) are not modelled",
        date(2021, 1, 1),
    ),
    (
        "JP",
        "Consumption tax",
        "10",
        True,
        "Japan consumption tax (national and local), standard rate; sample value",
        date(2019, 10, 1),
    ),
    (
        "IN",
        "IGST",
        "18",
        True,
        "India Integrated GST, the common 18 % slab (items range 5-28 %); sample value",
        date(2017, 7, 1),
    ),
    (
        "BR",
        "Import taxes (IPI, PIS/COFINS, ICMS; simplified)",
        "35",
        True,
        "One simplified rate standing for Brazil's IPI, PIS/COFINS-Importação and ICMS on "
        "imports; sample value, real rates vary by product and state",
        date(2024, 1, 1),
    ),
    (
        "AE",
        "VAT",
        "5",
        True,
        "UAE Federal Tax Authority, VAT on imports; sample value",
        date(2018, 1, 1),
    ),
]

# (destination, basis, duty de minimis, tax de minimis, currency, source, valid_from)
CUSTOMS_REGIMES = [
    (
        "EU",
        "CIF",
        "150",
        "0",
        "EUR",
        "Union Customs Code (customs value incl. transport and insurance to the EU border); "
        "Regulation (EC) 1186/2009 art. 23 duty relief up to EUR 150; the EUR 22 import VAT "
        "relief ended on 1 July 2021; sample",
        date(2021, 7, 1),
    ),
    (
        "US",
        "FOB",
        "800",
        "0",
        "USD",
        "19 U.S.C. 1401a (transaction value, excl. international freight and insurance); "
        "19 U.S.C. 1321 de minimis USD 800 (Trade Facilitation and Trade Enforcement Act "
        "2015); sample",
        date(2016, 3, 10),
    ),
    (
        "US",
        "FOB",
        "0",
        "0",
        "USD",
        "De minimis suspended for all countries from 29 August 2025 (Executive Order 14324); "
        "sample",
        date(2025, 8, 29),
    ),
    (
        "GB",
        "CIF",
        "135",
        "0",
        "GBP",
        "HMRC: no customs duty on consignments up to GBP 135; import VAT otherwise due "
        "at the border; sample",
        date(2021, 1, 1),
    ),
    (
        "KE",
        "CIF",
        "0",
        "0",
        "KES",
        "Kenya Revenue Authority: no de minimis for commercial imports modelled; sample",
        date(2021, 1, 1),
    ),
    (
        "JP",
        "CIF",
        "10000",
        "10000",
        "JPY",
        "Japan Customs: duty and consumption tax exempt when the customs value does not "
        "exceed JPY 10,000 (exceptions apply); sample",
        date(2021, 1, 1),
    ),
    (
        "IN",
        "CIF",
        "0",
        "0",
        "INR",
        "Indian Customs (assessable value on CIF); no de minimis for commercial imports; sample",
        date(2021, 1, 1),
    ),
    (
        "BR",
        "CIF",
        "0",
        "0",
        "BRL",
        "Receita Federal (customs value on CIF); no de minimis for B2B imports; sample",
        date(2021, 1, 1),
    ),
    (
        "AE",
        "CIF",
        "1000",
        "0",
        "AED",
        "GCC Common Customs Law: duty exemption for consignments up to AED 1,000; VAT due "
        "on imports; sample",
        date(2021, 1, 1),
    ),
]


def load_samples(apps, schema_editor):
    DutyRate = apps.get_model("trade", "DutyRate")
    ImportTax = apps.get_model("trade", "ImportTax")
    CustomsRegime = apps.get_model("trade", "CustomsRegime")
    DutyRate.objects.bulk_create(
        DutyRate(
            destination=destination,
            hs_prefix=prefix,
            rate=Decimal(rate),
            source=source,
            valid_from=valid_from,
            is_sample=True,
        )
        for destination, (source, valid_from, rates) in DUTY_RATES.items()
        for prefix, rate in rates.items()
    )
    ImportTax.objects.bulk_create(
        ImportTax(
            destination=destination,
            name=name,
            rate=Decimal(rate),
            duty_in_base=duty_in_base,
            source=source,
            valid_from=valid_from,
            is_sample=True,
        )
        for destination, name, rate, duty_in_base, source, valid_from in IMPORT_TAXES
    )
    CustomsRegime.objects.bulk_create(
        CustomsRegime(
            destination=destination,
            customs_value_basis=basis,
            duty_de_minimis=Decimal(duty_de_minimis),
            tax_de_minimis=Decimal(tax_de_minimis),
            de_minimis_currency=currency,
            source=source,
            valid_from=valid_from,
            is_sample=True,
        )
        for destination, basis, duty_de_minimis, tax_de_minimis, currency, source, valid_from in CUSTOMS_REGIMES
    )


def unload_samples(apps, schema_editor):
    for name in ("DutyRate", "ImportTax", "CustomsRegime"):
        apps.get_model("trade", name).objects.filter(is_sample=True).delete()


class Migration(migrations.Migration):
    dependencies = [("trade", "0002_duty_rates_import_tax")]

    operations = [migrations.RunPython(load_samples, unload_samples)]
