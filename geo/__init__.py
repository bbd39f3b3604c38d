"""Generic Belgian geo building blocks: CRS, the address register, address matching, spatial index.

Nothing in this package knows about WABP groups or zones.
"""
