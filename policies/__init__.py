"""Built-in policy modules, one per area of the Azure VM backup support matrix."""
