"""Built-in pump mechanisms, one file each (registered by nakpump.mechanisms in this order)."""
