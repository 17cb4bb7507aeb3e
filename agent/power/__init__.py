"""Power sources (measured) and board profiles (estimated), and energy integration."""
