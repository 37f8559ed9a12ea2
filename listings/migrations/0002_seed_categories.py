"""The top two levels of the catalogue tree, so that sellers can file products from day one."""

from django.db import migrations
from django.utils.text import slugify

CATEGORIES: dict[str, list[str]] = {
    "Agriculture & Food": [
        "Coffee & Tea",
        "Grains & Rice",
        "Fruit & Vegetables",
        "Seafood",
        "Spices & Condiments",
        "Beverages",
    ],
    "Apparel & Textiles": ["Men's Clothing", "Women's Clothing", "Workwear", "Fabrics & Yarn"],
    "Footwear & Bags": ["Footwear", "Bags & Luggage", "Leather Goods"],
    "Electronics": [
        "Computers & Accessories",
        "Phones & Telecom",
        "Lighting & LEDs",
        "Components",
        "Power Supplies",
    ],
    "Home & Furniture": ["Furniture", "Kitchenware", "Ceramics & Tableware", "Home Textiles"],
    "Machinery & Tools": ["Hand Tools", "Power Tools", "Industrial Machinery", "Fasteners"],
    "Vehicles & Parts": ["Auto Parts", "Bicycle Parts", "Tyres"],
    "Chemicals & Plastics": ["Plastics & Polymers", "Industrial Chemicals", "Packaging"],
    "Health & Beauty": ["Cosmetics", "Personal Care", "Medical Supplies"],
    "Sports & Leisure": ["Sports Equipment", "Outdoor & Camping", "Toys & Games"],
    "Construction & Materials": ["Building Materials", "Plumbing", "Electrical Fittings"],
    "Metals & Minerals": ["Steel Products", "Aluminium Products", "Stone & Minerals"],
}


def seed(apps, schema_editor):
    Category = apps.get_model("listings", "Category")
    for position, (top, children) in enumerate(CATEGORIES.items()):
        parent, _ = Category.objects.get_or_create(
            slug=slugify(top), defaults={"name": top, "position": position}
        )
        for child_position, child in enumerate(children):
            Category.objects.get_or_create(
                slug=slugify(f"{top} {child}"),
                defaults={"name": child, "parent": parent, "position": child_position},
            )


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
