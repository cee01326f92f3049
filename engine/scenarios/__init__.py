"""Analysts' scenarios: YAML files run headlessly on the real engine (see docs/scenarios.md)."""
