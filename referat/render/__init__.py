"""Writers: one per output format, all reading the same edition-applied :class:`Document`."""
