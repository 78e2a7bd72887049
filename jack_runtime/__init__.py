"""Jack: a WSGI-native web framework with Quixote's programming model."""
