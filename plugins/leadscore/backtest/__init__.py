"""Point-in-time backtests of the tiers and scores (see engine.py)."""
