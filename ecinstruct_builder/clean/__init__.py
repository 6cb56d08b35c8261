"""Cleaning: text normalisation, quality filters, exact + near-duplicate removal, decontamination."""
