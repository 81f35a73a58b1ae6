"""Word lists of the sample data. The customer names, order types and units of measure
are the labels the emulator's demo board starts with (columns whose labels the sync
may not create), so generated orders sync cleanly."""

from __future__ import annotations

CUSTOMERS: dict[str, dict[str, object]] = {
    "GREYSON": {"prefix": "GRE", "sizes": ["XS", "S", "M", "L", "XL", "XXL"]},
    "TITLE NINE": {"prefix": "TNI", "sizes": ["XXS", "XS", "S", "M", "L", "XL", "1X", "2X"]},
    "JOHNNIE-O": {"prefix": "JOO", "sizes": ["2T", "3T", "4T", "5T", "6T", "S", "M", "L", "XL"]},
    "RHONE": {"prefix": "RHO", "sizes": ["30x30", "30x32", "32x30", "32x32", "34x32", "36x32"]},
    "BORN PRIMITIVE": {"prefix": "BPR", "sizes": ["XS", "S", "M", "L", "XL", "32C", "34C", "34D"]},
    "WHITE FOX": {"prefix": "WFX", "sizes": ["04/XXS", "06/XS", "08/S", "10/M", "12/L", "14/XL"]},
    "MACK WELDON": {"prefix": "MCW", "sizes": ["S", "M", "L", "XL", "XXL", "3XL", "ONE SIZE"]},
    "CAFÉ DU CYCLISTE": {
        "prefix": "CDC",
        "sizes": ["3/6 MTHS", "6/12 MTHS", "S(6-8)", "M(8-10)", "L(10-12)"],
    },
}
ORDER_TYPES = ["ACTIVE", "ACTIVE", "ACTIVE", "REPLENISHMENT", "BULK", "DEVELOPMENT", "CANCELLED"]
UNITS = ["EACH", "EACH", "EACH", "PACK", "SET", "PAIR"]
SEASONS = [("2025 SPRING", "SS25"), ("2025 FALL", "FW25"), ("2026 SPRING", "SS26")]
CATEGORIES = ["TOPS", "BOTTOMS", "OUTERWEAR", "KNITWEAR", "ACCESSORIES", "SWIM"]
DROPS = ["DROP 1", "DROP 2", "DROP 3"]
DELIVERY_TERMS = ["FOB", "DDP", "EXW", "CIF"]
DELIVERY_METHODS = ["SEA", "AIR", "COURIER", "SEA-AIR"]
WAREHOUSES = ["LA DC", "NJ 3PL", "MELBOURNE", "LEICESTER", "TORONTO"]
DESTINATIONS = ["USA", "AUSTRALIA", "UK", "CANADA", "NEW ZEALAND"]
COLOURS = [
    ("NAVY", "NVY"),
    ("BLACK", "BLK"),
    ("HEATHER GREY", "HGY"),
    ("ÉCRU", "ECR"),
    ("SAGE GREEN", "SGE"),
    ("CORAL ROSÉ", "CRS"),
    ("MIDNIGHT – BLUE", "MDB"),
]
GARMENTS = [
    "Piqué polo",
    "Quarter-zip pullover",
    "Performance jogger",
    "Merino crew",
    "Seamless bra",
    "Board short",
    "Puffer vest",
    "Linen shirt",
]
NOTES = [
    "",
    "",
    "Customer approved lab dip",
    "Hold for PP sample",
    "Trims: 100% recycled poly — see tech pack",
    "Ship with hangers",
    "Carton max 15 kg; ≤ 20 units",
    "注意: special packing",
]
