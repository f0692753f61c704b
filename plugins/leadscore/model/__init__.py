"""The learned conversion probability: trained by `leadscore train` from the backtest's
point-in-time rows, stored in the warehouse, scored in SQL by dbt (macros/conversion_model.sql)."""
