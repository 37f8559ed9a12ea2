"""The words the generated catalogue is made of, and the fixed query mix run.py measures.

Frequencies are designed, not left to chance (and generate.py prints the real counts):
- a *common* word ("premium") is in about 10 % of the titles;
- a *rare* word is one of ~2,000 made-up brand names, each in roughly 20-80 listings;
- nouns and materials follow the categories, so two-word queries ("cotton shirt") match
  a few thousand rows, as they would in a real catalogue.
"""

import random

# Per child category (by name, as seeded in listings/migrations/0002): the nouns sold there,
# the materials they are made of, the unit of sale, a USD unit-price range and HS chapters.
CATALOGUE: dict[str, tuple[list[str], list[str], str, tuple[float, float], list[str]]] = {
    "Coffee & Tea": (
        ["coffee beans", "green tea", "black tea", "instant coffee", "tea bags", "coffee capsules"],
        ["arabica", "robusta", "organic", "roasted", "sencha", "assam"],
        "kg",
        (2, 40),
        ["09"],
    ),
    "Grains & Rice": (
        ["basmati rice", "jasmine rice", "wheat flour", "quinoa", "oats", "corn grits"],
        ["organic", "parboiled", "milled", "whole grain"],
        "tonne",
        (200, 1500),
        ["10", "11"],
    ),
    "Fruit & Vegetables": (
        ["dried mango", "fresh avocado", "frozen peas", "cashew nuts", "dates", "pineapple"],
        ["organic", "frozen", "dried", "fresh"],
        "kg",
        (1, 20),
        ["07", "08"],
    ),
    "Seafood": (
        ["frozen shrimp", "tuna loins", "salmon fillet", "squid rings", "crab meat"],
        ["frozen", "wild caught", "farmed", "canned"],
        "kg",
        (3, 60),
        ["03", "16"],
    ),
    "Spices & Condiments": (
        [
            "black pepper",
            "turmeric powder",
            "cinnamon sticks",
            "chili sauce",
            "vanilla pods",
            "cardamom",
        ],
        ["organic", "ground", "whole", "dried"],
        "kg",
        (2, 120),
        ["09", "21"],
    ),
    "Beverages": (
        ["fruit juice", "mineral water", "energy drink", "coconut water", "green tea drink"],
        ["bottled", "canned", "organic", "sugar free"],
        "carton",
        (5, 40),
        ["22"],
    ),
    "Men's Clothing": (
        ["t-shirt", "polo shirt", "denim jeans", "chino trousers", "hoodie", "dress shirt"],
        ["cotton", "linen", "polyester", "organic cotton", "denim"],
        "piece",
        (2, 40),
        ["61", "62"],
    ),
    "Women's Clothing": (
        ["summer dress", "blouse", "leggings", "cardigan", "maxi skirt", "t-shirt"],
        ["cotton", "silk", "viscose", "linen", "wool"],
        "piece",
        (3, 60),
        ["61", "62"],
    ),
    "Workwear": (
        ["safety vest", "work jacket", "coverall", "work trousers", "lab coat"],
        ["cotton", "polyester", "high visibility", "flame retardant"],
        "piece",
        (3, 45),
        ["62", "65"],
    ),
    "Fabrics & Yarn": (
        ["woven fabric", "knitted fabric", "cotton yarn", "denim fabric", "canvas fabric"],
        ["cotton", "polyester", "linen", "wool", "bamboo"],
        "m",
        (0.5, 15),
        ["52", "54", "55", "60"],
    ),
    "Footwear": (
        ["running shoes", "leather boots", "sandals", "safety shoes", "sneakers", "slippers"],
        ["leather", "rubber", "canvas", "suede", "mesh"],
        "pair",
        (4, 90),
        ["64"],
    ),
    "Bags & Luggage": (
        ["backpack", "tote bag", "travel trolley", "laptop bag", "duffel bag"],
        ["canvas", "nylon", "leather", "polyester", "recycled"],
        "piece",
        (3, 80),
        ["42"],
    ),
    "Leather Goods": (
        ["wallet", "belt", "card holder", "leather gloves", "key holder"],
        ["leather", "genuine leather", "suede", "vegan leather"],
        "piece",
        (2, 50),
        ["42"],
    ),
    "Computers & Accessories": (
        [
            "laptop stand",
            "wireless mouse",
            "mechanical keyboard",
            "usb hub",
            "monitor arm",
            "laptop",
        ],
        ["aluminium", "plastic", "steel", "wireless"],
        "piece",
        (3, 900),
        ["84", "85"],
    ),
    "Phones & Telecom": (
        ["phone case", "charging cable", "power bank", "bluetooth earbuds", "smartphone"],
        ["silicone", "braided", "plastic", "aluminium"],
        "piece",
        (0.5, 400),
        ["85"],
    ),
    "Lighting & LEDs": (
        ["led bulb", "led strip", "floodlight", "desk lamp", "solar light", "panel light"],
        ["aluminium", "glass", "plastic", "dimmable"],
        "piece",
        (0.4, 120),
        ["85", "94"],
    ),
    "Components": (
        ["resistor", "capacitor", "pcb assembly", "connector", "relay", "sensor module"],
        ["ceramic", "smd", "through hole", "copper"],
        "piece",
        (0.01, 20),
        ["85"],
    ),
    "Power Supplies": (
        ["power adapter", "ups", "switching power supply", "battery pack", "inverter"],
        ["lithium", "plastic", "aluminium", "waterproof"],
        "piece",
        (3, 400),
        ["85"],
    ),
    "Furniture": (
        ["office chair", "dining table", "bookshelf", "sofa", "bed frame", "bar stool"],
        ["wooden", "oak", "steel", "rattan", "bamboo", "teak"],
        "piece",
        (20, 900),
        ["94"],
    ),
    "Kitchenware": (
        ["frying pan", "chef knife", "cutting board", "cookware set", "storage jar", "kettle"],
        ["stainless steel", "cast iron", "bamboo", "ceramic", "glass"],
        "piece",
        (1, 120),
        ["73", "82", "39"],
    ),
    "Ceramics & Tableware": (
        ["coffee mug", "dinner plate", "serving bowl", "tea set", "vase"],
        ["ceramic", "porcelain", "stoneware", "glass", "bone china"],
        "piece",
        (0.5, 60),
        ["69", "70"],
    ),
    "Home Textiles": (
        ["bath towel", "bed sheet", "cushion cover", "curtain", "blanket", "rug"],
        ["cotton", "linen", "microfiber", "wool", "bamboo"],
        "piece",
        (1, 80),
        ["63", "57"],
    ),
    "Hand Tools": (
        ["hammer", "screwdriver set", "wrench", "pliers", "tape measure", "spirit level"],
        ["steel", "chrome vanadium", "carbon steel", "fibreglass"],
        "piece",
        (0.8, 60),
        ["82"],
    ),
    "Power Tools": (
        ["cordless drill", "angle grinder", "circular saw", "impact driver", "jigsaw"],
        ["brushless", "lithium", "corded", "steel"],
        "piece",
        (20, 350),
        ["84", "85"],
    ),
    "Industrial Machinery": (
        [
            "cnc machine",
            "air compressor",
            "packaging machine",
            "water pump",
            "conveyor belt",
            "generator",
        ],
        ["steel", "stainless steel", "cast iron", "automatic"],
        "piece",
        (400, 60000),
        ["84"],
    ),
    "Fasteners": (
        ["hex bolt", "wood screw", "wall anchor", "nut", "washer", "rivet"],
        ["stainless steel", "zinc plated", "carbon steel", "brass", "steel"],
        "box",
        (0.01, 30),
        ["73"],
    ),
    "Auto Parts": (
        ["brake pad", "oil filter", "spark plug", "wiper blade", "headlight", "shock absorber"],
        ["ceramic", "steel", "rubber", "aluminium"],
        "piece",
        (1, 200),
        ["87", "84"],
    ),
    "Bicycle Parts": (
        ["bicycle chain", "bike saddle", "brake lever", "inner tube", "pedal"],
        ["steel", "aluminium", "carbon fibre", "rubber"],
        "piece",
        (1, 150),
        ["87", "40"],
    ),
    "Tyres": (
        ["car tyre", "truck tyre", "motorcycle tyre", "bicycle tyre"],
        ["rubber", "radial", "all season", "tubeless"],
        "piece",
        (10, 400),
        ["40"],
    ),
    "Plastics & Polymers": (
        ["pet granules", "hdpe resin", "pvc pipe", "acrylic sheet", "nylon pellets"],
        ["recycled", "virgin", "plastic", "polymer"],
        "tonne",
        (500, 3000),
        ["39"],
    ),
    "Industrial Chemicals": (
        ["caustic soda", "citric acid", "sodium silicate", "titanium dioxide", "glycerine"],
        ["industrial grade", "food grade", "technical grade"],
        "kg",
        (0.3, 10),
        ["28", "29", "38"],
    ),
    "Packaging": (
        ["carton box", "stretch film", "paper bag", "bubble wrap", "pallet"],
        ["kraft paper", "corrugated", "plastic", "recycled", "wooden"],
        "piece",
        (0.02, 15),
        ["48", "39"],
    ),
    "Cosmetics": (
        ["face cream", "lipstick", "shampoo", "nail polish", "serum", "body lotion"],
        ["organic", "vegan", "herbal", "natural"],
        "piece",
        (0.5, 30),
        ["33"],
    ),
    "Personal Care": (
        ["toothbrush", "hand soap", "razor", "cotton pads", "hair brush"],
        ["bamboo", "plastic", "organic cotton", "natural"],
        "piece",
        (0.1, 15),
        ["33", "34", "96"],
    ),
    "Medical Supplies": (
        ["face mask", "nitrile gloves", "syringe", "bandage", "thermometer"],
        ["nitrile", "latex", "cotton", "disposable", "sterile"],
        "box",
        (0.5, 60),
        ["30", "40", "90"],
    ),
    "Sports Equipment": (
        ["yoga mat", "dumbbell", "football", "tennis racket", "resistance band"],
        ["rubber", "steel", "neoprene", "leather", "carbon fibre"],
        "piece",
        (1, 120),
        ["95"],
    ),
    "Outdoor & Camping": (
        ["camping tent", "sleeping bag", "hiking backpack", "camping chair", "headlamp"],
        ["nylon", "polyester", "aluminium", "waterproof"],
        "piece",
        (3, 250),
        ["63", "94", "95"],
    ),
    "Toys & Games": (
        ["building blocks", "plush toy", "board game", "puzzle", "toy car"],
        ["wooden", "plastic", "cotton", "eco friendly"],
        "piece",
        (0.5, 40),
        ["95"],
    ),
    "Building Materials": (
        ["floor tile", "cement", "plywood", "gypsum board", "roof sheet", "brick"],
        ["ceramic", "porcelain", "steel", "wooden", "concrete"],
        "m2",
        (1, 60),
        ["68", "69", "44", "25"],
    ),
    "Plumbing": (
        ["water tap", "shower head", "pipe fitting", "ball valve", "sink"],
        ["brass", "stainless steel", "pvc", "copper"],
        "piece",
        (1, 150),
        ["84", "73", "39"],
    ),
    "Electrical Fittings": (
        ["wall socket", "light switch", "circuit breaker", "cable", "junction box"],
        ["plastic", "copper", "pvc", "waterproof"],
        "piece",
        (0.2, 40),
        ["85"],
    ),
    "Steel Products": (
        ["steel coil", "rebar", "steel pipe", "steel sheet", "wire rod", "angle bar"],
        ["galvanized", "stainless steel", "carbon steel", "cold rolled", "hot rolled"],
        "tonne",
        (450, 3000),
        ["72", "73"],
    ),
    "Aluminium Products": (
        ["aluminium profile", "aluminium sheet", "aluminium foil", "aluminium coil"],
        ["aluminium", "anodized", "extruded", "alloy"],
        "tonne",
        (1800, 5000),
        ["76"],
    ),
    "Stone & Minerals": (
        ["granite slab", "marble tile", "quartz sand", "slate", "gravel"],
        ["granite", "marble", "natural stone", "polished"],
        "m2",
        (5, 150),
        ["25", "68"],
    ),
}

# "premium" is the designed common word (~10 % of titles); the others are spread thinner.
TITLE_ADJECTIVES: list[tuple[str, float]] = [
    ("premium", 0.10),
    ("wholesale", 0.06),
    ("custom", 0.05),
    ("durable", 0.04),
    ("lightweight", 0.03),
    ("eco friendly", 0.03),
    ("heavy duty", 0.03),
    ("export quality", 0.03),
    ("OEM", 0.03),
]

USES = [
    "retail chains",
    "hotels and restaurants",
    "distributors",
    "online shops",
    "construction sites",
    "workshops",
    "supermarkets",
    "industrial users",
    "schools and offices",
    "hospitals",
]
CERTIFICATIONS = [
    "ISO 9001",
    "CE",
    "RoHS",
    "FDA registered",
    "BSCI",
    "GOTS",
    "HACCP",
    "SGS tested",
    "REACH",
]
PACKING = [
    "export cartons on pallets",
    "poly bags in master cartons",
    "shrink-wrapped pallets",
    "25 kg bags",
    "gift boxes",
    "bulk containers",
    "wooden crates",
]
FEATURES = [
    "consistent quality from batch to batch",
    "private label available",
    "samples on request",
    "competitive factory price",
    "fast lead time",
    "full traceability",
    "inspection before shipment",
    "colour and size options",
    "long shelf life",
    "low minimum order",
]

# Where products come from (weights are shares of the catalogue) and where they ship from.
ORIGINS: dict[str, tuple[float, list[str]]] = {
    "CN": (0.30, ["Shanghai", "Ningbo", "Shenzhen", "Guangzhou", "Qingdao", "Xiamen"]),
    "IN": (0.10, ["Mumbai", "Chennai", "Mundra", "Kolkata"]),
    "VN": (0.08, ["Ho Chi Minh City", "Hai Phong", "Da Nang"]),
    "TR": (0.06, ["Istanbul", "Izmir", "Mersin"]),
    "DE": (0.05, ["Hamburg", "Bremerhaven"]),
    "US": (0.05, ["Los Angeles", "Savannah", "Houston"]),
    "IT": (0.04, ["Genoa", "La Spezia"]),
    "BD": (0.04, ["Chittagong"]),
    "PK": (0.03, ["Karachi"]),
    "TH": (0.03, ["Laem Chabang", "Bangkok"]),
    "ID": (0.03, ["Jakarta", "Surabaya"]),
    "MX": (0.03, ["Manzanillo", "Veracruz"]),
    "BR": (0.03, ["Santos", "Paranaguá"]),
    "KE": (0.02, ["Mombasa"]),
    "ET": (0.02, ["Djibouti"]),
    "MY": (0.02, ["Port Klang"]),
    "PL": (0.02, ["Gdańsk"]),
    "ES": (0.02, ["Valencia", "Algeciras"]),
    "PT": (0.01, ["Leixões"]),
    "KR": (0.01, ["Busan"]),
    "JP": (0.01, ["Yokohama"]),
    "GB": (0.01, ["Felixstowe"]),
    "ZA": (0.01, ["Durban"]),
}

CURRENCY_WEIGHTS: dict[str, float] = {
    "USD": 0.45,
    "EUR": 0.15,
    "CNY": 0.12,
    "INR": 0.05,
    "GBP": 0.04,
    "JPY": 0.03,
    "VND": 0.03,
    "TRY": 0.03,
    "BRL": 0.02,
    "MXN": 0.02,
    "THB": 0.02,
    "KRW": 0.01,
    "AED": 0.01,
    "CHF": 0.01,
    "KES": 0.01,
}

# Sea and multimodal terms dominate B2B offers; each listing offers one to four of them.
INCOTERM_WEIGHTS: dict[str, float] = {
    "FOB": 0.55,
    "EXW": 0.35,
    "CIF": 0.35,
    "FCA": 0.15,
    "CFR": 0.12,
    "DAP": 0.10,
    "DDP": 0.08,
    "CPT": 0.04,
    "CIP": 0.03,
    "DPU": 0.02,
    "FAS": 0.02,
}

MOQS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000]
MOQ_WEIGHTS = [3, 3, 6, 10, 8, 4, 12, 14, 8, 4, 10, 9, 4, 3]

_SYLLABLES_A = [
    "ka",
    "zo",
    "ve",
    "lu",
    "tra",
    "mi",
    "qu",
    "xan",
    "bri",
    "dor",
    "fel",
    "gry",
    "hal",
    "jor",
    "kev",
    "lum",
]
_SYLLABLES_B = [
    "ri",
    "na",
    "vo",
    "te",
    "li",
    "mo",
    "ra",
    "xi",
    "do",
    "be",
    "sa",
    "ku",
    "pe",
    "zu",
    "fa",
    "no",
]
_SYLLABLES_C = ["x", "n", "ra", "lo", "tek", "vin", "dex", "mar", "sol", "ton", "rix", "lan"]


def brand_names(count: int = 2000, *, seed: int = 1234) -> list[str]:
    """Made-up brand names (rare words): deterministic, unique, stemmer-stable."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < count:
        names.add(
            (
                rng.choice(_SYLLABLES_A) + rng.choice(_SYLLABLES_B) + rng.choice(_SYLLABLES_C)
            ).capitalize()
        )
    return sorted(names)


BRAND_SHARE = 0.05  # listings that carry a brand name (rare word) in title and description

# The fixed query mix. Each kind has a few variants that are cycled, so that no single
# query is repeated hundreds of times (as a cache would love), yet every run is the same.
# ``{category}`` is replaced by the category parameter run.py resolves at start.
QUERY_MIX: dict[str, list[str]] = {
    "rare_word": [f"q={name.lower()}" for name in brand_names()[::400]],
    "common_word": ["q=premium", "q=wholesale", "q=steel", "q=cotton", "q=organic"],
    "two_words": [
        "q=cotton+shirt",
        "q=ceramic+mug",
        "q=stainless+steel+bolt",
        "q=led+bulb",
        "q=coffee+beans",
    ],
    "typo": [
        "q=cofee+beans",
        "q=ceramik+mug",
        "q=stainles+steel",
        "q=backpak",
        "q=bluetooth+earbds",
    ],
    "facets_only": [
        "category={category}&origin=CN&incoterm=FOB",
        "origin=VN&max_moq=100&verified=true",
        "incoterm=CIF&min_price=1&max_price=50",
        "category={category}&verified=true&ordering=price",
        "origin=IN&incoterm=EXW&ordering=-created",
    ],
    "keyword_facets": [
        "q=premium&origin=CN&incoterm=FOB",
        "q=cotton&category={category}&max_moq=500",
        "q=steel&verified=true&max_price=100&ordering=price",
        "q=organic&origin=IN&min_price=1",
        "q=led&incoterm=FOB&max_moq=1000&ordering=-price",
    ],
}
