"""Labs: catalog, submissions and results (see the labs issue)."""
