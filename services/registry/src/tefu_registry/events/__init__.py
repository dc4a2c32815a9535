"""Life events of a family: append-only, dated, corrected only by later events."""
