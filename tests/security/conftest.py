from tests.orders.conftest import fx_rates  # noqa: F401  (the sample FX and duty rates)
