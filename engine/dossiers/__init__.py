"""Dossiers: opening, closing, the facts written from completed tasks, who may see what."""
