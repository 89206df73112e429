"""Cross-provider graph: what the consented network knows about a subject, noised on entry."""
