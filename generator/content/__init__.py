"""Models and loaders for the sources under ``content/``: documents, task lists, units."""
