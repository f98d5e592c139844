"""One rule per module, named after the rule's slug; found automatically (see registry)."""
