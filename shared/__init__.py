"""Code both sides import: the message schema, topic contract, config loader and CLI root."""
