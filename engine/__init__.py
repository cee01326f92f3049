"""The IPT workflow runtime and domain. Imports neither web nor workers (see engine/README.md)."""
