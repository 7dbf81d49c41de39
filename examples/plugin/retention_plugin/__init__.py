"""An example of one's own strategies in one's own package (README, "Bring your own code")."""
