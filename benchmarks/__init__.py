"""Running strategies on scenarios: the main job, outputs, tracking."""
