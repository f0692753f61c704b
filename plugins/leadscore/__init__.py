"""leadscore: daily lead-qualification pipeline."""
