"""A user's own package, as the README's "bring your own code" describes: trusted through plugins."""
