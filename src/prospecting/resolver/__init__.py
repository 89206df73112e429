"""Prospect resolver: normalise identifiers and hash them into a keyed, versioned hash chain."""
