"""Model tools: flatbuffer inspection, MAC counting, generator, catalog, fetch, resolution."""
