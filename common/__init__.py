"""Helpers under every app (portal and tracking use them): no models, no imports of the apps."""
