"""Modal screens: add/edit forms, open, save as, export preview, confirmations, messages."""
