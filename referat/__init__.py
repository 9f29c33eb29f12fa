"""referat: a compiler for meeting minutes (referater) and agendas (dagsordener)."""

__version__ = "0.1.0"
