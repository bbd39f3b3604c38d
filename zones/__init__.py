"""WABP zones: schema, storage, validation, address assignment, derivation and lookup.

Builds on `geo`; knows nothing of HTTP or maps.
"""
