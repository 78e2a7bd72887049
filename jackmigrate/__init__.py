"""jackmigrate: migrate Quixote applications to Jack (jack_runtime)."""

__version__ = "0.1.0"
