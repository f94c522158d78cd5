"""Bicep parser (placeholder while the emitter is written)."""
