"""England: the SSDA903 return (children looked after), its synthesis and the Care Matters indicators."""
