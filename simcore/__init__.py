"""The simulator: scenarios with a hidden ground truth, the view a strategy may see, and evaluation."""
