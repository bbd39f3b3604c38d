"""The wabp web service and command line: FastAPI routes, settings, CLI. Builds on geo, zones, maps."""
