"""Tools around the build: checking a built site, scaffolding sites and pages."""
