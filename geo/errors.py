"""Errors raised by the geo layer.

GeoError
 ├── CoordinateError      a coordinate pair that is not a WGS84 position in Belgium
 └── RegisterError        an address register file that cannot be read
"""


class GeoError(Exception):
    """Base class of every error raised in `geo`."""


class CoordinateError(GeoError, ValueError):
    """A coordinate pair that is not a WGS84 lon/lat inside Belgium."""


class RegisterError(GeoError):
    """An address register file that cannot be read (missing column, bad encoding...)."""
