"""Time-series store: schema, migrations, backend choice, bulk writer and the queries pages use."""
