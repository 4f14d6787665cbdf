"""Scottish returns: layout, synthesis, cleaning and derived analysis variables."""
