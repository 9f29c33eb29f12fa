"""Fuzz targets for referat's parsers, their runner and their seed corpus."""
