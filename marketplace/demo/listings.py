"""The demo catalogue: 40 published listings of the two verified demo sellers, three pending
(one of the unverified seller) and one rejected, each with a generated photo card.

Listings are made through the listing services (create, add image, submit, approve/reject), so
the demo data obeys every rule the sellers' data does. A listing is found again by seller and
title: a second run creates nothing. HS codes are all in the built-in fallback slice, so the
seed works with or without the full HS table.
"""

import io
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify
from django_countries import countries
from PIL import Image, ImageDraw, ImageFont

from listings.enums import ListingStatus, UnitOfSale
from listings.models import Category, Listing
from listings.services import (
    TierInput,
    listing_approve,
    listing_create,
    listing_image_add,
    listing_image_process,
    listing_reject,
    listing_submit,
)
from marketplace.accounts.models import Company, User

SELLER_EMAIL = "seller@demo.test"
SELLER2_EMAIL = "seller2@demo.test"
SELLER3_EMAIL = "seller3@demo.test"
REJECTION_REASON = (
    "The photo shows a different part number from the title. Add the OEM cross-reference "
    "numbers to the description and a photo of the actual pads, then submit again."
)

# Background colour of the generated photo card, per top-level category.
_CARD_COLOURS = {
    "Agriculture & Food": (62, 124, 59),
    "Apparel & Textiles": (142, 68, 120),
    "Footwear & Bags": (120, 84, 52),
    "Electronics": (32, 94, 150),
    "Home & Furniture": (166, 110, 50),
    "Machinery & Tools": (70, 80, 92),
    "Vehicles & Parts": (150, 50, 50),
    "Chemicals & Plastics": (40, 130, 130),
    "Health & Beauty": (190, 90, 120),
    "Sports & Leisure": (220, 120, 30),
    "Construction & Materials": (110, 110, 80),
}


@dataclass(frozen=True)
class DemoListing:
    seller_email: str
    title: str
    category: tuple[str, str]  # (top, child) as seeded by migration 0002
    hs_code: str
    moq: int
    tiers: tuple[tuple[int, str], ...]  # (min quantity, unit price); the first is the MOQ
    description: str
    unit: str = UnitOfSale.PIECE
    stock: int = 10_000
    lead_time_days: int = 14
    incoterms: tuple[str, ...] = ("EXW", "FOB")
    unit_net_weight_kg: str = "0.100"
    units_per_carton: int = 100
    carton_cm: tuple[str, str, str] = ("40.0", "30.0", "25.0")
    status: str = ListingStatus.PUBLISHED


def _westlake(title, category, hs_code, moq, tiers, description, **kwargs) -> DemoListing:
    return DemoListing(SELLER_EMAIL, title, category, hs_code, moq, tiers, description, **kwargs)


def _naniwa(title, category, hs_code, moq, tiers, description, **kwargs) -> DemoListing:
    return DemoListing(SELLER2_EMAIL, title, category, hs_code, moq, tiers, description, **kwargs)


FASTENERS = ("Machinery & Tools", "Fasteners")
LIGHTING = ("Electronics", "Lighting & LEDs")
POWER = ("Electronics", "Power Supplies")
COMPUTERS = ("Electronics", "Computers & Accessories")
PHONES = ("Electronics", "Phones & Telecom")
MENS = ("Apparel & Textiles", "Men's Clothing")
WORKWEAR = ("Apparel & Textiles", "Workwear")
BAGS = ("Footwear & Bags", "Bags & Luggage")
FOOTWEAR = ("Footwear & Bags", "Footwear")
FURNITURE = ("Home & Furniture", "Furniture")
KITCHEN = ("Home & Furniture", "Kitchenware")
PLUMBING = ("Construction & Materials", "Plumbing")
PACKAGING = ("Chemicals & Plastics", "Packaging")
AUTO = ("Vehicles & Parts", "Auto Parts")
COFFEE_TEA = ("Agriculture & Food", "Coffee & Tea")
GRAINS = ("Agriculture & Food", "Grains & Rice")
BEVERAGES = ("Agriculture & Food", "Beverages")
SEAFOOD = ("Agriculture & Food", "Seafood")
COSMETICS = ("Health & Beauty", "Cosmetics")
SPORTS = ("Sports & Leisure", "Sports Equipment")

SEA = ("EXW", "FOB", "CFR", "CIF")
ANY = ("EXW", "FCA", "CPT", "CIP", "DAP")

DEMO_LISTINGS: tuple[DemoListing, ...] = (
    # Hangzhou Westlake Trading: USD, made in China, ship from Ningbo or Shanghai.
    _westlake(
        "Stainless steel hex bolts M8 x 40, DIN 933, A2-70",
        FASTENERS,
        "731815",
        5000,
        ((5000, "0.0350"), (20_000, "0.0310"), (100_000, "0.0285")),
        "Fully threaded hex bolts to **DIN 933 / ISO 4017**, stainless A2-70.\n\n"
        "- Plain finish, bulk packed in cartons of 1,000\n- Mill test certificate on request",
        stock=2_000_000,
        incoterms=SEA,
        unit_net_weight_kg="0.028",
        units_per_carton=1000,
        carton_cm=("30.0", "20.0", "15.0"),
    ),
    _westlake(
        "Zinc-plated hex nuts M10, DIN 934, class 8",
        FASTENERS,
        "731816",
        10_000,
        ((10_000, "0.0120"), (50_000, "0.0105"), (200_000, "0.0098")),
        "Hex nuts M10 to DIN 934, property class 8, blue-white zinc plated (Cr3+).",
        stock=3_500_000,
        incoterms=SEA,
        unit_net_weight_kg="0.011",
        units_per_carton=2000,
        carton_cm=("30.0", "20.0", "12.0"),
    ),
    _westlake(
        "Self-tapping pan head screws ST4.2 x 16, zinc plated",
        FASTENERS,
        "731815",
        20_000,
        ((20_000, "0.0085"), (100_000, "0.0072")),
        "Phillips pan head self-tapping screws to DIN 7981 for sheet metal and plastics.",
        stock=5_000_000,
        incoterms=SEA,
        unit_net_weight_kg="0.002",
        units_per_carton=10_000,
        carton_cm=("30.0", "20.0", "12.0"),
    ),
    _westlake(
        "Hot-dip galvanised carriage bolts M12 x 100",
        FASTENERS,
        "731815",
        2000,
        ((2000, "0.1450"), (10_000, "0.1320")),
        "Cup head square neck bolts to DIN 603 for timber construction; HDG to ISO 10684.",
        stock=400_000,
        incoterms=SEA,
        unit_net_weight_kg="0.115",
        units_per_carton=200,
        carton_cm=("35.0", "25.0", "15.0"),
    ),
    _westlake(
        "Nylon insert lock nuts M6, DIN 985, stainless A2",
        FASTENERS,
        "731816",
        10_000,
        ((10_000, "0.0190"), (50_000, "0.0172")),
        "Prevailing torque lock nuts with nylon insert; reusable up to five times.",
        stock=1_200_000,
        incoterms=SEA,
        unit_net_weight_kg="0.003",
        units_per_carton=5000,
        carton_cm=("30.0", "20.0", "12.0"),
    ),
    _westlake(
        "LED bulb A60 9 W E27, 806 lm, 4000 K",
        LIGHTING,
        "853952",
        500,
        ((500, "0.7800"), (2000, "0.7200"), (10_000, "0.6500")),
        "Frosted A60 LED lamp, Ra > 80, 15,000 h life. CE, RoHS and ERP compliant.",
        stock=150_000,
        incoterms=SEA,
        unit_net_weight_kg="0.032",
        units_per_carton=100,
        carton_cm=("55.0", "35.0", "25.0"),
    ),
    _westlake(
        "LED strip 12 V, 5 m reel, 60 LEDs/m, IP65",
        LIGHTING,
        "853952",
        200,
        ((200, "2.4500"), (1000, "2.1800")),
        "SMD 2835 strip on 8 mm PCB with 3M adhesive tape, silicone coated.",
        stock=40_000,
        incoterms=ANY,
        unit_net_weight_kg="0.120",
        units_per_carton=100,
        carton_cm=("45.0", "35.0", "30.0"),
    ),
    _westlake(
        "USB-C 65 W GaN charger, PD 3.0, EU/UK/US plugs",
        POWER,
        "850440",
        200,
        ((200, "6.9000"), (1000, "6.4000"), (5000, "5.9500")),
        "Two USB-C ports and one USB-A; gallium nitride, 40% smaller than silicon chargers.",
        stock=25_000,
        incoterms=ANY,
        unit_net_weight_kg="0.115",
        units_per_carton=80,
        carton_cm=("50.0", "35.0", "30.0"),
    ),
    _westlake(
        "Desktop power adapter 12 V 5 A, 5.5 x 2.1 mm",
        POWER,
        "850440",
        300,
        ((300, "3.1000"), (2000, "2.8500")),
        "Level VI efficiency switching adapter for LED drivers, CCTV and routers.",
        stock=30_000,
        incoterms=SEA,
        unit_net_weight_kg="0.260",
        units_per_carton=50,
        carton_cm=("50.0", "40.0", "30.0"),
    ),
    _westlake(
        "14-inch business laptop, 8 GB RAM, 256 GB SSD",
        COMPUTERS,
        "847130",
        20,
        ((20, "189.0000"), (100, "179.0000")),
        'Intel N100, 14" FHD IPS, Wi-Fi 6, 1.4 kg. Keyboard layouts: US, UK, DE, FR, ES.',
        stock=1500,
        lead_time_days=21,
        incoterms=ANY,
        unit_net_weight_kg="1.400",
        units_per_carton=5,
        carton_cm=("48.0", "38.0", "30.0"),
    ),
    _westlake(
        'Rugged Android smartphone 6.1", IP68, 128 GB',
        PHONES,
        "851713",
        50,
        ((50, "92.5000"), (300, "88.0000")),
        "Dual SIM 4G LTE, 8,000 mAh battery, MIL-STD-810H drop tested. Unlocked.",
        stock=4000,
        incoterms=ANY,
        unit_net_weight_kg="0.290",
        units_per_carton=20,
        carton_cm=("45.0", "35.0", "25.0"),
    ),
    _westlake(
        "Wi-Fi 6 dual-band router AX1800",
        PHONES,
        "851762",
        100,
        ((100, "21.4000"), (500, "19.8000")),
        "Four gigabit ports, WPA3, mesh ready. Private label and custom firmware available.",
        stock=12_000,
        incoterms=ANY,
        unit_net_weight_kg="0.380",
        units_per_carton=20,
        carton_cm=("55.0", "40.0", "35.0"),
    ),
    _westlake(
        "Cotton crew-neck T-shirt 180 gsm, unisex",
        MENS,
        "610910",
        300,
        ((300, "2.3500"), (1000, "2.1000"), (5000, "1.9500")),
        "100% combed ring-spun cotton, sizes S–3XL, 24 colours. Screen print on request.",
        stock=60_000,
        incoterms=SEA,
        unit_net_weight_kg="0.180",
        units_per_carton=100,
        carton_cm=("60.0", "40.0", "35.0"),
    ),
    _westlake(
        "Quick-dry polyester work T-shirt, hi-vis yellow",
        WORKWEAR,
        "610990",
        500,
        ((500, "1.9800"), (3000, "1.7500")),
        "EN ISO 20471 class 2 fabric with reflective tape; 140 gsm birdseye mesh.",
        stock=30_000,
        incoterms=SEA,
        unit_net_weight_kg="0.150",
        units_per_carton=100,
        carton_cm=("60.0", "40.0", "30.0"),
    ),
    _westlake(
        "Women's PU leather tote handbag",
        BAGS,
        "420222",
        100,
        ((100, "7.8000"), (500, "7.2000")),
        "Vegan leather tote with zip top and inner pockets; six colours; logo embossing.",
        stock=8000,
        incoterms=SEA,
        unit_net_weight_kg="0.650",
        units_per_carton=20,
        carton_cm=("60.0", "45.0", "40.0"),
    ),
    _westlake(
        'Hard-shell cabin suitcase 20", ABS+PC, spinner wheels',
        BAGS,
        "420212",
        100,
        ((100, "18.5000"), (500, "16.9000")),
        "55 x 40 x 20 cm, TSA lock, fits most airline cabin limits.",
        stock=3000,
        lead_time_days=25,
        incoterms=SEA,
        unit_net_weight_kg="2.800",
        units_per_carton=4,
        carton_cm=("58.0", "42.0", "45.0"),
    ),
    _westlake(
        "Solid oak office desk 140 x 70 cm",
        FURNITURE,
        "940330",
        10,
        ((10, "165.0000"), (50, "152.0000")),
        "FSC oak top, powder-coated steel frame, flat packed with fittings and manual.",
        stock=400,
        lead_time_days=30,
        incoterms=SEA,
        unit_net_weight_kg="32.000",
        units_per_carton=1,
        carton_cm=("150.0", "78.0", "14.0"),
    ),
    _westlake(
        "Bamboo side table with shelf",
        FURNITURE,
        "940360",
        50,
        ((50, "14.2000"), (200, "12.9000")),
        "Carbonised bamboo, water-based lacquer; 45 x 45 x 55 cm; knock-down.",
        stock=2500,
        incoterms=SEA,
        unit_net_weight_kg="3.200",
        units_per_carton=2,
        carton_cm=("50.0", "48.0", "18.0"),
    ),
    _westlake(
        "Ceramic countertop wash basin, round 40 cm",
        PLUMBING,
        "691010",
        50,
        ((50, "24.0000"), (200, "21.5000")),
        "Glazed vitreous china, white; without tap hole; foam-packed, drop tested.",
        stock=1800,
        lead_time_days=20,
        incoterms=SEA,
        unit_net_weight_kg="6.500",
        units_per_carton=1,
        carton_cm=("48.0", "48.0", "22.0"),
    ),
    _westlake(
        "PP storage box 30 L with clip lid",
        PACKAGING,
        "392690",
        500,
        ((500, "1.8500"), (2000, "1.7000")),
        "Food-grade polypropylene, stackable, transparent; custom colours from 5,000 pcs.",
        stock=20_000,
        incoterms=SEA,
        unit_net_weight_kg="0.900",
        units_per_carton=10,
        carton_cm=("60.0", "42.0", "50.0"),
    ),
    _westlake(
        "TPE yoga mat 6 mm, double-sided",
        SPORTS,
        "950691",
        200,
        ((200, "4.6000"), (1000, "4.1000")),
        "183 x 61 cm, non-slip, with carry strap; SGS tested for REACH.",
        stock=9000,
        incoterms=SEA,
        unit_net_weight_kg="0.900",
        units_per_carton=20,
        carton_cm=("63.0", "40.0", "40.0"),
        status=ListingStatus.PENDING_REVIEW,
    ),
    _westlake(
        "Ceramic brake pads for Toyota Corolla (front)",
        AUTO,
        "870830",
        100,
        ((100, "5.4000"), (500, "4.9000")),
        "Low-dust ceramic formulation, ECE R90 approved.",
        unit=UnitOfSale.SET,
        stock=5000,
        incoterms=SEA,
        unit_net_weight_kg="1.100",
        units_per_carton=10,
        carton_cm=("40.0", "30.0", "20.0"),
        status=ListingStatus.REJECTED,
    ),
    # Naniwa Precision Tools: JPY (whole yen), made in Japan, ship from Osaka or Kobe.
    _naniwa(
        "Titanium hex socket cap screws M5 x 12, grade 5",
        FASTENERS,
        "731815",
        1000,
        ((1000, "48"), (5000, "44"), (20_000, "41")),
        "Ti-6Al-4V socket head cap screws to ISO 4762 for motorsport and bicycles.",
        stock=80_000,
        incoterms=("EXW", "FCA", "FOB"),
        unit_net_weight_kg="0.002",
        units_per_carton=1000,
        carton_cm=("25.0", "18.0", "10.0"),
    ),
    _naniwa(
        "Precision micro screws M1.4 x 3 for electronics",
        FASTENERS,
        "731815",
        10_000,
        ((10_000, "3"), (100_000, "2")),
        "Cross recessed pan head micro screws, nickel plated; tolerance class 6g.",
        stock=2_000_000,
        incoterms=("EXW", "FCA", "FOB"),
        unit_net_weight_kg="0.001",
        units_per_carton=50_000,
        carton_cm=("25.0", "18.0", "10.0"),
    ),
    _naniwa(
        "Stainless flange nuts M8, serrated",
        FASTENERS,
        "731816",
        5000,
        ((5000, "12"), (20_000, "10")),
        "SUS304 hex flange nuts with serration to JIS B 1190.",
        stock=400_000,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="0.008",
        units_per_carton=2000,
        carton_cm=("30.0", "20.0", "12.0"),
    ),
    _naniwa(
        "Square weld nuts M6, JIS B 1196",
        FASTENERS,
        "731816",
        5000,
        ((5000, "9"), (20_000, "8")),
        "Low-carbon steel weld nuts with pilot, for automotive sheet metal.",
        stock=600_000,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="0.004",
        units_per_carton=5000,
        carton_cm=("30.0", "20.0", "12.0"),
    ),
    _naniwa(
        "Ceramic front brake pad set for compact cars",
        AUTO,
        "870830",
        20,
        ((20, "3800"), (100, "3500")),
        "Made in Osaka; low noise, low dust. Fits Honda Fit / Jazz 2014–2020.",
        unit=UnitOfSale.SET,
        stock=3000,
        incoterms=("EXW", "FCA", "FOB", "CIF"),
        unit_net_weight_kg="1.050",
        units_per_carton=10,
        carton_cm=("40.0", "30.0", "20.0"),
    ),
    _naniwa(
        "Vented brake disc rotor 280 mm",
        AUTO,
        "870830",
        10,
        ((10, "6200"), (50, "5800")),
        "FC250 cast iron, balanced and coated; sold in pairs.",
        unit=UnitOfSale.PAIR,
        stock=900,
        incoterms=("EXW", "FOB", "CIF"),
        unit_net_weight_kg="12.400",
        units_per_carton=1,
        carton_cm=("32.0", "32.0", "16.0"),
    ),
    _naniwa(
        "Machined aluminium shift knob, M10 x 1.25",
        AUTO,
        "870899",
        50,
        ((50, "1800"), (200, "1650")),
        "A6061 billet, anodised black or silver, laser engraved pattern.",
        stock=2500,
        incoterms=("EXW", "FCA"),
        unit_net_weight_kg="0.180",
        units_per_carton=40,
        carton_cm=("35.0", "25.0", "15.0"),
    ),
    _naniwa(
        "Graphite wiper blade set 600 + 400 mm",
        AUTO,
        "870899",
        50,
        ((50, "1450"), (300, "1300")),
        "Graphite-coated natural rubber with U-hook adapter.",
        unit=UnitOfSale.SET,
        stock=6000,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="0.300",
        units_per_carton=25,
        carton_cm=("65.0", "25.0", "20.0"),
    ),
    _naniwa(
        "Fanless mini PC, 16 GB RAM, 512 GB SSD",
        COMPUTERS,
        "847141",
        10,
        ((10, "32800"), (50, "31000")),
        "Aluminium chassis, dual 2.5 GbE, 3 x 4K outputs; 24/7 industrial duty.",
        stock=600,
        lead_time_days=10,
        incoterms=("EXW", "FCA", "CPT", "DAP"),
        unit_net_weight_kg="0.950",
        units_per_carton=10,
        carton_cm=("50.0", "40.0", "25.0"),
    ),
    _naniwa(
        "Refurbished 13-inch business laptop, grade A",
        COMPUTERS,
        "847130",
        10,
        ((10, "41000"), (50, "38500")),
        "Core i5, 16 GB, 256 GB SSD, Japanese or US keyboard; 6-month warranty.",
        stock=350,
        lead_time_days=7,
        incoterms=("EXW", "FCA", "DAP"),
        unit_net_weight_kg="1.200",
        units_per_carton=5,
        carton_cm=("45.0", "35.0", "25.0"),
    ),
    _naniwa(
        "Induction cooking plate 1400 W, 100 V",
        KITCHEN,
        "851660",
        20,
        ((20, "7400"), (100, "6900")),
        "Slim single-zone induction hob, 7 power levels, timer. 100 V / 50–60 Hz.",
        stock=1200,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="2.100",
        units_per_carton=4,
        carton_cm=("45.0", "38.0", "30.0"),
    ),
    _naniwa(
        "Wakocha Japanese black tea, 50 g tins",
        COFFEE_TEA,
        "090230",
        100,
        ((100, "980"), (500, "900")),
        "First flush black tea from Shizuoka, in nitrogen-flushed tins.",
        stock=5000,
        lead_time_days=7,
        incoterms=("EXW", "FCA", "CIP"),
        unit_net_weight_kg="0.050",
        units_per_carton=48,
        carton_cm=("40.0", "30.0", "15.0"),
    ),
    _naniwa(
        "Wakocha black tea, loose leaf 1 kg bag",
        COFFEE_TEA,
        "090240",
        20,
        ((20, "8200"), (100, "7600")),
        "Bulk black tea for blending and cafés; harvest year on the bag.",
        unit=UnitOfSale.BAG,
        stock=800,
        lead_time_days=7,
        incoterms=("EXW", "FCA"),
        unit_net_weight_kg="1.000",
        units_per_carton=10,
        carton_cm=("50.0", "35.0", "30.0"),
    ),
    _naniwa(
        "Koshihikari white rice 5 kg, Niigata",
        GRAINS,
        "100630",
        100,
        ((100, "2600"), (500, "2450")),
        "Polished short-grain rice, current crop, in vacuum-sealed bags.",
        unit=UnitOfSale.BAG,
        stock=8000,
        incoterms=("EXW", "FOB", "CIF"),
        unit_net_weight_kg="5.000",
        units_per_carton=4,
        carton_cm=("50.0", "35.0", "25.0"),
    ),
    _naniwa(
        "Arita porcelain vessel wash basin",
        PLUMBING,
        "691010",
        10,
        ((10, "18000"), (50, "16500")),
        "Hand-painted Arita-yaki basin, 42 cm; each piece unique.",
        stock=120,
        lead_time_days=30,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="7.200",
        units_per_carton=1,
        carton_cm=("52.0", "52.0", "28.0"),
    ),
    _naniwa(
        "Hinoki wood bath stool",
        FURNITURE,
        "940360",
        30,
        ((30, "6800"), (100, "6300")),
        "Japanese cypress, joinery without nails; natural oil finish.",
        stock=600,
        lead_time_days=20,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="1.600",
        units_per_carton=4,
        carton_cm=("50.0", "40.0", "35.0"),
    ),
    _naniwa(
        "Wooden gymnastics rings with straps",
        SPORTS,
        "950691",
        50,
        ((50, "4200"), (200, "3900")),
        "Birch plywood rings, 32 mm grip, numbered buckle straps; 300 kg tested.",
        unit=UnitOfSale.PAIR,
        stock=1500,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="1.100",
        units_per_carton=10,
        carton_cm=("40.0", "35.0", "30.0"),
    ),
    _naniwa(
        "Hydrating face lotion 150 ml, fragrance free",
        COSMETICS,
        "330499",
        200,
        ((200, "980"), (1000, "890")),
        "Hyaluronic acid and rice ferment; Japanese and English labels.",
        stock=12_000,
        lead_time_days=10,
        incoterms=("EXW", "FCA", "CIP"),
        unit_net_weight_kg="0.170",
        units_per_carton=48,
        carton_cm=("40.0", "30.0", "20.0"),
    ),
    _naniwa(
        "Leather ankle work boots, steel toe",
        FOOTWEAR,
        "640391",
        30,
        ((30, "9800"), (120, "9200")),
        "Full-grain leather, Goodyear welted, JIS T 8101 toe protection.",
        unit=UnitOfSale.PAIR,
        stock=700,
        lead_time_days=25,
        incoterms=("EXW", "FOB"),
        unit_net_weight_kg="1.800",
        units_per_carton=6,
        carton_cm=("60.0", "40.0", "35.0"),
    ),
    _naniwa(
        "Frozen mandarin orange juice, 1 L",
        BEVERAGES,
        "200911",
        120,
        ((120, "1200"), (600, "1100")),
        "Not from concentrate, Ehime mandarins; shipped frozen at -18 °C.",
        stock=4800,
        lead_time_days=5,
        incoterms=("EXW", "FCA", "CPT"),
        unit_net_weight_kg="1.050",
        units_per_carton=12,
        carton_cm=("40.0", "30.0", "25.0"),
    ),
    _naniwa(
        "Frozen black tiger shrimp 16/20, 1 kg",
        SEAFOOD,
        "030617",
        100,
        ((100, "3400"), (500, "3200")),
        "IQF, head-off shell-on, glazed 10%; HACCP plant.",
        unit=UnitOfSale.KILOGRAM,
        stock=3000,
        lead_time_days=7,
        incoterms=("EXW", "FCA", "CFR"),
        unit_net_weight_kg="1.000",
        units_per_carton=10,
        carton_cm=("50.0", "35.0", "20.0"),
    ),
    _naniwa(
        "Osaka blend roasted coffee beans, 1 kg",
        COFFEE_TEA,
        "090121",
        20,
        ((20, "3600"), (100, "3300")),
        "Medium-dark roast of Brazil and Ethiopia, roasted to order in Osaka.",
        unit=UnitOfSale.BAG,
        stock=500,
        lead_time_days=5,
        incoterms=("EXW", "FCA"),
        unit_net_weight_kg="1.000",
        units_per_carton=10,
        carton_cm=("45.0", "30.0", "25.0"),
        status=ListingStatus.PENDING_REVIEW,
    ),
    # Schwarzwald Feinmechanik: not verified yet, so its listing waits in the queue.
    DemoListing(
        SELLER3_EMAIL,
        "Socket head cap screws DIN 912 M6 x 20, 12.9",
        FASTENERS,
        "731815",
        2000,
        ((2000, "0.0920"), (10_000, "0.0840")),
        "Made in the Black Forest; black oxide, rolled threads, 100% inspected.",
        stock=150_000,
        incoterms=("EXW", "FCA", "DAP"),
        unit_net_weight_kg="0.007",
        units_per_carton=1000,
        carton_cm=("25.0", "18.0", "10.0"),
        status=ListingStatus.PENDING_REVIEW,
    ),
)


@dataclass
class ListingSeedReport:
    created: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0


def _card_image(*, spec: DemoListing) -> SimpleUploadedFile:
    """A simple product card: category colour, initials large, the title wrapped below."""
    width, height = 800, 600
    background = _CARD_COLOURS.get(spec.category[0], (80, 80, 80))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    initials = "".join(word[0] for word in spec.title.split()[:2] if word[0].isalnum()).upper()
    big = ImageFont.load_default(size=180)
    small = ImageFont.load_default(size=34)
    draw.text((width / 2, 220), initials or "?", font=big, fill="white", anchor="mm")
    for number, line in enumerate(textwrap.wrap(spec.title, width=36)[:3]):
        draw.text((width / 2, 400 + number * 46), line, font=small, fill="white", anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("card.jpg", buffer.getvalue(), content_type="image/jpeg")


def _carton_gross_weight(spec: DemoListing) -> Decimal:
    goods = Decimal(spec.unit_net_weight_kg) * spec.units_per_carton
    return (goods * Decimal("1.08") + Decimal("0.4")).quantize(Decimal("0.001"))


def _category(top: str, child: str) -> Category:
    """The category seeded by migration 0002 (made again if a database flush removed it)."""
    found = Category.objects.filter(slug=slugify(f"{top} {child}")).first()
    if found is not None:
        return found
    parent, _ = Category.objects.get_or_create(slug=slugify(top), defaults={"name": top})
    category, _ = Category.objects.get_or_create(
        slug=slugify(f"{top} {child}"), defaults={"name": child, "parent": parent}
    )
    return category


def demo_listings_seed(
    *, sellers: dict[str, tuple[User, Company]], moderator: User
) -> ListingSeedReport:
    """Create the demo catalogue once; listings already there (by seller and title) are kept.

    ``sellers`` maps each demo seller's email to its login and company; ``moderator`` (the demo
    admin) approves and rejects. Runs outside any transaction: every service owns its own.
    """
    report = ListingSeedReport()
    existing = set(
        Listing.objects.filter(seller__in=[c for _, c in sellers.values()]).values_list(
            "seller_id", "title"
        )
    )
    for spec in DEMO_LISTINGS:
        actor, seller = sellers[spec.seller_email]
        if (seller.pk, spec.title) in existing:
            report.unchanged += 1
            continue
        length, width, height = (Decimal(v) for v in spec.carton_cm)
        listing = listing_create(
            seller=seller,
            actor=actor,
            title=spec.title,
            description=spec.description,
            category=_category(*spec.category),
            hs_code=spec.hs_code,
            origin_country=str(seller.country),
            ship_from=f"{seller.city}, {countries.name(str(seller.country))}",
            unit=spec.unit,
            moq=spec.moq,
            stock=spec.stock,
            lead_time_days=spec.lead_time_days,
            incoterms=list(spec.incoterms),
            unit_net_weight_kg=Decimal(spec.unit_net_weight_kg),
            units_per_carton=spec.units_per_carton,
            carton_gross_weight_kg=_carton_gross_weight(spec),
            carton_length_cm=length,
            carton_width_cm=width,
            carton_height_cm=height,
            currency=seller.default_currency,
            price_tiers=[TierInput(q, Decimal(p)) for q, p in spec.tiers],
        )
        image = listing_image_add(
            listing=listing, actor=actor, file=_card_image(spec=spec), alt_text=spec.title
        )
        # The demo's own drawing: processed at once, so the catalogue has its photos before a
        # worker runs (the task it also enqueued then finds it ready and does nothing).
        listing_image_process(image_id=image.pk)
        listing_submit(listing=listing, actor=actor)
        if spec.status == ListingStatus.PUBLISHED:
            listing_approve(listing=listing, actor=moderator, notify_seller=False)
        elif spec.status == ListingStatus.REJECTED:
            listing_reject(
                listing=listing, actor=moderator, reason=REJECTION_REASON, notify_seller=False
            )
        report.created[spec.status] += 1
    return report
