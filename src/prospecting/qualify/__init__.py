"""Auto-qualify + draft: read an inbound prospect message, score "will book", draft a reply."""
