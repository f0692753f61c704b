"""Synthetic HubSpot + Mailchimp datasets with a hidden ground truth (see generator.py)."""
from leadscore.synthetic.generator import LIST_ID, generate
from leadscore.synthetic.measure import measure_generate

__all__ = ["LIST_ID", "generate", "measure_generate"]
