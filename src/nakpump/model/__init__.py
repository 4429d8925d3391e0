"""Cell specifications (frozen data) and the named presets built from them."""
